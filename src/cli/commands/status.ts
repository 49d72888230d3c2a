/** `hsp status`: the marketplace's health, and who the token belongs to with which permissions. */
import type { Permissions, Status } from '../../index.js';
import type { CliContext } from '../context.js';

export async function status(ctx: CliContext): Promise<void> {
  const client = await ctx.client();
  const answer = withoutToken(await client.session.status());
  if (ctx.output.machine) return ctx.output.data(answer);
  const user = answer.identity?.user;
  const view = {
    marketplace: client.baseUrl,
    health: answer.message,
    'server time': answer.product?.datetime,
    'database time': answer.database?.datetime ?? 'no answer (see health)',
    'signed in as': user ? `${user.name} (${user.id})` : 'nobody: anonymous (run "hsp login" or set HSP_TOKEN)',
    ...(user ? { provider: answer.identity?.provider?.name ?? 'marketplace token', permissions: granted(answer.permissions ?? {}).join(', ') || 'none' } : {}),
  };
  await ctx.output.record(view);
}

/**
 * The reference server echoes the caller's token as `jwt.encoded`: a secret has no place in
 * output that people paste into issues.
 */
function withoutToken(answer: Status): Status {
  if (!answer.jwt || !('encoded' in answer.jwt)) return answer;
  const { encoded: _encoded, ...jwt } = answer.jwt;
  return { ...answer, jwt };
}

/** `{"products": {"read": true, "delete": false}}` → `["products.read"]`. */
export function granted(permissions: Permissions): string[] {
  return Object.entries(permissions).flatMap(([noun, verbs]) => Object.entries(verbs ?? {}).flatMap(([verb, allowed]) => (allowed === true ? [`${noun}.${verb}`] : [])));
}
