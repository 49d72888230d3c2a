/**
 * `hsp login --device`, and `hsp login --client-id ID` (PKCE): signing in with the identity
 * provider directly (src/auth/oidc.ts), for marketplaces whose browser flow cannot come back to
 * the CLI. The provider comes from the marketplace's list; the client id from `--client-id`,
 * else the provider's `alternate_client_id` when the marketplace shows it. The device flow
 * runs when asked for, or when there is no display and the provider offers it; otherwise the
 * authorization code flow with PKCE on a loopback port.
 */
import type { Credential } from '../../../auth/types.js';
import type { Marketplace } from '../../../index.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { AuthDeps } from './deps.js';
import { chooseProvider } from './providers.js';

export interface OidcLoginOptions {
  device?: boolean;
  provider?: string;
  clientId?: string;
  callbackPort?: number;
}

export async function oidcLogin(ctx: CliContext, client: Marketplace, options: OidcLoginOptions, deps: AuthDeps): Promise<Credential> {
  const provider = await chooseProvider(ctx, client, options.provider, deps);
  const clientId = options.clientId ?? provider.alternate_client_id ?? undefined;
  if (!clientId) {
    throw new UsageError(`${client.baseUrl} does not say which client id the CLI signs in to "${provider.name}" with: pass --client-id (ask the marketplace's administrator).`);
  }
  const oidc = await import('../../../auth/oidc.js');
  const config = await oidc.discover(provider.issuer, { clientId });
  const flow = oidc.chooseFlow(config, { device: options.device, display: oidc.hasDisplay(ctx.io.env) });
  if (flow === 'device') {
    return oidc.deviceLogin({
      issuer: provider.issuer,
      clientId,
      config,
      onPrompt: async (verificationUri, userCode, complete) => {
        // Written even with --json: the user must see the code to finish signing in.
        ctx.io.stderr.write(`To sign in with ${provider.name}, open ${verificationUri} on any device and enter the code ${userCode}\n`);
        if (complete && oidc.hasDisplay(ctx.io.env)) await deps.openBrowser(complete);
      },
    });
  }
  return oidc.pkceLogin({
    issuer: provider.issuer,
    clientId,
    config,
    callbackPort: options.callbackPort,
    timeoutMs: deps.webTimeoutMs,
    openBrowser: async (url) => {
      const opened = await deps.openBrowser(url);
      ctx.io.stderr.write(opened ? `Opening ${provider.name} in your browser. If nothing opens, visit:\n  ${url}\n` : `Open this address in a browser to sign in with ${provider.name}:\n  ${url}\n`);
    },
  });
}
