/**
 * The login and consent pages of a test `oidc-provider`, answered at once: sign in as the
 * account `who()` names (or refuse, for `'deny'`), then grant every scope asked for. Serves
 * the provider itself on every other path of `server`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

export const INTERACTION_URL = (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`;

export function serveProvider(server: Server, provider: Provider, who: () => string): void {
  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return handle(req, res);
    interact(provider, req, res, who()).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
}

async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse, account: string): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (account === 'deny') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user said no.' }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
    return;
  }
  // Every test browser starts without a session, so there is never an earlier grant to extend.
  const grant = new provider.Grant({ accountId: details.session!.accountId!, clientId: details.params.client_id as string });
  grant.addOIDCScope(String(details.params.scope));
  if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims as string[]);
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}
