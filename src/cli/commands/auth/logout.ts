/**
 * `hsp logout`: ends the session on the marketplace (`DELETE /sessions` revokes a marketplace
 * token) and deletes the stored credential. The profile stays (its URL is handy for the next
 * `hsp login`), without its user. A marketplace that cannot be reached does not keep the
 * token on disk: it is deleted anyway, with a warning that it stays valid until it expires.
 */
import { updateConfig } from '../../../auth/config.js';
import { selectMarketplace } from '../../../auth/target.js';
import type { CliContext } from '../../context.js';
import { marketplaceFor } from './client.js';
import type { AuthDeps } from './deps.js';

export async function logout(ctx: CliContext, deps: AuthDeps): Promise<void> {
  const env = ctx.io.env;
  const selection = await selectMarketplace(ctx.options, env, deps.dir);
  const profile = selection?.profile;
  if (!profile) {
    const why = env.HSP_TOKEN ? '; the token in HSP_TOKEN is not stored by hsp: unset it to stop using it' : '';
    throw new Error(`${selection ? `There is no saved sign-in for ${selection.url}` : 'You are not signed in to any marketplace'}${why}.`);
  }
  const stored = await deps.store.getStored(profile.name);
  if (stored) {
    try {
      const client = await marketplaceFor(ctx, profile.url, stored.credential.token);
      await client.session.logout({ maxRetries: 0, timeoutMs: 10_000 });
    } catch (error) {
      // 401: already expired or revoked, which is what we wanted.
      if ((error as Error).name !== 'AuthenticationError') {
        ctx.output.warn(`Could not end the session on ${profile.url} (${firstLine(error)}); the token is deleted here but stays valid until it expires.`);
      }
    }
    await deps.store.delete(profile.name);
  }
  await updateConfig(deps.dir, (file) => file.setProfile(profile.name, { user_id: undefined, user_name: undefined }));
  ctx.output.success(stored ? `Signed out of ${profile.url} (profile "${profile.name}").` : `Profile "${profile.name}" had no saved sign-in; nothing to remove.`);
  if (env.HSP_TOKEN) ctx.output.warn('HSP_TOKEN is still set: commands keep using it until you unset it.');
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!.replace(/[.\s]+$/, '');
}
