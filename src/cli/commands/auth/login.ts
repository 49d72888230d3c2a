/**
 * `hsp login`: get a token for a marketplace, check it with `GET /status`, store it (keychain,
 * or plain text only when allowed), and save the profile (URL and who signed in) as current.
 *
 * Strategies: `--with-token` (stdin), `--web` (the marketplace's browser flow to a loopback
 * listener), `--device` or `--client-id` (OpenID Connect with the provider directly). With no
 * flag: `--with-token` when stdin is not a terminal (a pipe in CI), else `--web`.
 */
import { PROFILE_NAME, PROFILE_NAME_RULE, loadConfig, normalizeUrl, updateConfig, type ConfigFile } from '../../../auth/config.js';
import { expiresAt } from '../../../auth/jwt.js';
import type { Credential } from '../../../auth/types.js';
import type { Marketplace, StatusIdentity } from '../../../index.js';
import type { CliContext } from '../../context.js';
import { AuthRequiredError, UsageError } from '../../errors.js';
import { marketplaceFor } from './client.js';
import type { AuthDeps } from './deps.js';
import { describeLocation, saveCredential } from './storage.js';
import { readTokenFromStdin } from './token-input.js';

export interface LoginOptions {
  url?: string;
  profile?: string;
  withToken?: boolean;
  web?: boolean;
  device?: boolean;
  provider?: string;
  callbackPort?: string | number;
  insecureStorage?: boolean;
  clientId?: string;
}

type Strategy = 'token' | 'web' | 'oidc';

export async function login(ctx: CliContext, opts: LoginOptions, deps: AuthDeps): Promise<void> {
  const strategy = strategyOf(ctx, opts);
  const callbackPort = portOf(opts.callbackPort);
  const config = await loadConfig(deps.dir);
  const url = await urlOf(ctx, opts, config, deps);
  const profile = profileNameOf(ctx, opts, config, url);
  const { protocol, hostname } = new URL(url);
  if (protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) ctx.output.warn(`${url} does not use https: the token travels unencrypted.`);

  // Anonymous: the browser flows list the identity providers with it.
  const client = await marketplaceFor(ctx, url);
  let credential: Credential;
  if (strategy === 'token') {
    const token = await readTokenFromStdin(ctx, deps);
    credential = { kind: 'marketplace', token, expires_at: expiresAt(token) };
  } else if (strategy === 'web') {
    const { webLogin } = await import('./web-login.js');
    const token = await webLogin(ctx, client, { provider: opts.provider, callbackPort }, deps);
    credential = { kind: 'marketplace', token, expires_at: expiresAt(token) };
  } else {
    const { oidcLogin } = await import('./oidc-login.js');
    credential = await oidcLogin(ctx, client, { device: opts.device, provider: opts.provider, clientId: opts.clientId, callbackPort }, deps);
  }

  const identity = await identityFor(ctx, url, credential.token);
  // Credential first: if it cannot be stored (no keychain, plain text refused), nothing is
  // written at all, not even the profile.
  const location = await saveCredential(ctx, deps, profile, credential, !!opts.insecureStorage);
  await updateConfig(deps.dir, (file) => {
    file.setProfile(profile, { url, user_id: identity.user_id, user_name: identity.user?.name });
    file.setCurrentProfile(profile);
  });

  const who = identity.user?.name ?? identity.user_id;
  if (ctx.output.machine) {
    await ctx.output.data({ profile, url, user: { id: identity.user_id, name: identity.user?.name }, provider: identity.provider ?? null, storage: location, expires_at: credential.expires_at ?? null });
    return;
  }
  ctx.output.success(`Signed in to ${url} as ${who} (profile "${profile}").`);
  if (location === 'file') ctx.output.warn(`The token is stored in plain text in ${deps.store.file}.`);
  else ctx.output.notice(`The token is stored in ${describeLocation(location, deps.store.file)}.`);
  if (ctx.io.env.HSP_TOKEN) ctx.output.warn('HSP_TOKEN is set: commands keep using it instead of this sign-in until you unset it.');
}

/** Who the token belongs to; a token the marketplace does not accept is refused here. */
async function identityFor(ctx: CliContext, url: string, token: string): Promise<StatusIdentity> {
  const client: Marketplace = await marketplaceFor(ctx, url, token);
  const refused = () => new AuthRequiredError('The marketplace did not accept this token.');
  let identity: StatusIdentity | undefined;
  try {
    identity = (await client.session.status()).identity;
  } catch (error) {
    if ((error as Error).name === 'AuthenticationError') throw refused();
    throw error;
  }
  // The reference server answers anonymously, not 401, for a token it does not accept.
  if (!identity || typeof identity !== 'object' || !identity.user_id) throw refused();
  return identity;
}

function strategyOf(ctx: CliContext, opts: LoginOptions): Strategy {
  const chosen = [opts.withToken && '--with-token', opts.web && '--web', opts.device && '--device'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`Choose one way to sign in: ${chosen.join(' or ')}, not both.`);
  if (opts.withToken) return 'token';
  if (opts.web) return 'web';
  if (opts.device || opts.clientId !== undefined) return 'oidc';
  return ctx.io.stdin.isTTY ? 'web' : 'token';
}

function portOf(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--callback-port must be a port number from 1 to 65535, got "${value}".`);
  return port;
}

/** --url, HSP_URL, the named or current profile's URL, or a question at the terminal. */
async function urlOf(ctx: CliContext, opts: LoginOptions, config: ConfigFile, deps: AuthDeps): Promise<string> {
  const env = ctx.io.env;
  const named = opts.profile ?? ctx.options.profile ?? (env.HSP_PROFILE || undefined);
  let url = opts.url ?? ctx.options.url ?? (env.HSP_URL || undefined) ?? (named ? config.profile(named)?.url : undefined);
  if (url === undefined && named === undefined && config.currentProfile) url = config.profile(config.currentProfile)?.url;
  if (url === undefined) {
    if (!ctx.interactive) throw new UsageError('Which marketplace? Pass --url (or set HSP_URL), e.g. hsp login --url https://marketplace.example.org.');
    url = (await deps.prompts.input('Marketplace URL (e.g. https://marketplace.example.org):')).trim();
  }
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`The marketplace URL must start with http:// or https://, got "${url}".`);
  return normalizeUrl(url);
}

/**
 * --profile or HSP_PROFILE; else the profile already saved for this URL; else "default" for a
 * first profile, or the URL's host for another marketplace.
 */
function profileNameOf(ctx: CliContext, opts: LoginOptions, config: ConfigFile, url: string): string {
  const named = opts.profile ?? ctx.options.profile ?? (ctx.io.env.HSP_PROFILE || undefined);
  const name = named ?? config.profileForUrl(url)?.name ?? (config.profile('default') ? new URL(url).host.replace(/[^A-Za-z0-9._-]/g, '-') : 'default');
  if (!PROFILE_NAME.test(name)) throw new UsageError(`"${name}" cannot be a profile name: ${PROFILE_NAME_RULE}.`);
  return name;
}
