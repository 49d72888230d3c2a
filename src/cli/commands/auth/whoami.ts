/** `hsp whoami`: the signed-in user, how they signed in, and what they may do (`GET /status`). */
import type { CliContext } from '../../context.js';
import { AuthRequiredError } from '../../errors.js';
import { granted } from '../status.js';

export async function whoami(ctx: CliContext): Promise<void> {
  const client = await ctx.signedInClient();
  const status = await client.session.status();
  const identity = status.identity;
  if (!identity || typeof identity !== 'object') throw new AuthRequiredError(`${client.baseUrl} did not accept your token; run "hsp login" again.`);
  if (ctx.output.machine) return ctx.output.data(identity);
  const user = identity.user;
  await ctx.output.record({
    user: user?.name ? `${user.name} (${identity.user_id})` : identity.user_id,
    'signed in with': identity.provider?.name ?? 'a marketplace token',
    marketplace: client.baseUrl,
    permissions: granted(status.permissions ?? {}).join(', ') || 'none',
  });
}
