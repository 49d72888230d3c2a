/**
 * Which of the marketplace's identity providers to sign in with: `--provider NAME|ID`, the
 * only one there is, or a choice at the terminal. Without a terminal and with several, the
 * command fails naming `--provider`.
 */
import type { IdentityProvider, Marketplace } from '../../../index.js';
import type { CliContext } from '../../context.js';
import { FailureError, UsageError } from '../../errors.js';
import type { AuthDeps } from './deps.js';

export async function chooseProvider(ctx: CliContext, client: Marketplace, wanted: string | undefined, deps: AuthDeps): Promise<IdentityProvider> {
  // Administrators also see disabled providers (`enabled_at: null`); those cannot sign anyone in.
  const providers = (await client.identityProviders.list().toArray()).filter((p) => p.enabled_at !== null);
  if (!providers.length) {
    throw new Error(`${client.baseUrl} has no identity provider to sign in with; ask an administrator for a token and use hsp login --with-token.`);
  }
  const names = providers.map((p) => `"${p.name}"`).join(', ');
  if (wanted !== undefined) {
    const lower = wanted.toLowerCase();
    const found = providers.find((p) => p.id.toLowerCase() === lower) ?? providers.find((p) => p.name.toLowerCase() === lower);
    if (!found) throw new FailureError(`${client.baseUrl} has no identity provider "${wanted}"; choose one of ${names}.`);
    return found;
  }
  if (providers.length === 1) return providers[0]!;
  if (!ctx.interactive) throw new UsageError(`${client.baseUrl} has several identity providers (${names}): pass --provider NAME to choose one.`);
  return deps.prompts.select(
    'Sign in with',
    providers.map((p) => ({ name: p.name, value: p, description: p.issuer })),
  );
}
