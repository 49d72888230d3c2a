/**
 * `hsp auth token`: prints the token for the selected marketplace on stdout, for scripts
 * (`curl -H "Authorization: Bearer $(hsp auth token)"`). The one command that prints a secret,
 * and only to stdout. A renewable (OIDC) credential is renewed first when it is about to expire.
 */
import { createTargetResolver, type ProfileTarget } from '../../../auth/target.js';
import type { CliContext } from '../../context.js';
import { notSignedIn } from '../../errors.js';
import type { AuthDeps } from './deps.js';

export async function authToken(ctx: CliContext, deps: AuthDeps): Promise<void> {
  const resolve = createTargetResolver({ dir: deps.dir, store: () => deps.store, now: deps.now });
  const target = (await resolve(ctx.options, ctx.io.env)) as ProfileTarget | undefined;
  if (!target?.token) throw notSignedIn();
  let token = target.token;
  if (target.profile && target.location !== 'environment' && target.credential?.refresh_token) {
    const { createTokenProvider } = await import('../../../auth/token-provider.js');
    token = (await createTokenProvider({ store: deps.store, profile: target.profile.name })({ forceRefresh: false })) ?? token;
  }
  ctx.io.stdout.write(`${token}\n`);
}
