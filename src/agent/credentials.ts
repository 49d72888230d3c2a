/**
 * How `hsp agent listen` signs in. With a registration (or `--key-file`), the agent's own key
 * comes first: short-lived tokens it signs itself, good only for its platform. A server that
 * does not know agent tokens (the reference server) answers 401 to them; the agent then uses
 * the signed-in user's token instead. Without a key, the user's token is all there is.
 */
import { resolve } from 'node:path';
import { configDir } from '../auth/paths.js';
import type { CliContext } from '../cli/context.js';
import { AuthRequiredError, FailureError, notSignedIn } from '../cli/errors.js';
import type { Marketplace, Platform } from '../index.js';
import { AuthenticationError, NotFoundError } from '../sdk/errors.js';
import { agentTokenProvider } from './agent-token.js';
import { findRegistration, type AgentRegistration } from './identity.js';
import { readPrivateKey } from './keys.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AgentClient {
  client: Marketplace;
  platform: Platform;
  /** The platform's owner. */
  userId: string;
  /** Which credential the client carries. */
  auth: 'agent-key' | 'user-token';
}

export interface AgentClientOptions {
  /** `--platform`: a name or an id. */
  platform: string;
  /** `--key-file`: the private key, instead of the registered one. */
  keyFile?: string;
}

export async function agentClient(ctx: CliContext, options: AgentClientOptions): Promise<AgentClient> {
  const selected = await selectedMarketplace(ctx);
  const registration = await findRegistration(configDir(ctx.io.env), options.platform, selected?.baseUrl);
  const keyFile = options.keyFile !== undefined ? resolve(options.keyFile) : registration?.key_file;
  if (keyFile === undefined) return withUserToken(ctx, options.platform);

  const url = selected?.baseUrl ?? registration?.url;
  if (url === undefined) throw new AuthRequiredError('No marketplace selected: pass --url, set HSP_URL, or run "hsp login".');
  // Read first: a bad key file is a configuration error to report, not a reason to fall back.
  const key = await readPrivateKey(keyFile);
  const owner = registration ? fromRegistration(registration) : await fromUserToken(ctx, options.platform);

  const { Marketplace } = await import('../index.js');
  const client = new Marketplace({
    baseUrl: url,
    tokenProvider: agentTokenProvider({ privateKey: key.privateKey, platformId: owner.platformId, userId: owner.userId, audience: url }),
    userAgent: 'hsp-agent',
  });
  try {
    const platform = await client.platforms.retrieve(owner.userId, owner.platformId);
    return { client, platform, userId: platform.user_id, auth: 'agent-key' };
  } catch (error) {
    await client.close();
    if (error instanceof NotFoundError) throw new FailureError(`There is no platform with id ${owner.platformId} on ${url}; it may have been deleted (run "hsp agent register" again).`);
    if (!(error instanceof AuthenticationError)) throw error;
  }
  try {
    return await withUserToken(ctx, owner.platformId);
  } catch (error) {
    if (error instanceof AuthRequiredError) {
      throw new AuthRequiredError(`${url} refused the agent key of platform "${owner.platformName}", and no user is signed in: run "hsp agent register --platform ${owner.platformName}" again, "hsp login", or set HSP_TOKEN.`);
    }
    throw error;
  }
}

/**
 * A platform of the signed-in user's, by id or by name (names are unique per user); undefined
 * when there is none.
 */
export async function findOwnPlatform(client: Marketplace, userId: string, platform: string): Promise<Platform | undefined> {
  if (UUID.test(platform)) {
    try {
      return await client.platforms.retrieve(userId, platform);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
  // The name filter narrows the list on servers that filter (a substring match); the exact match is ours.
  const query = { name: platform, perPage: 100 };
  const named = await client.platforms.list(userId, query).toArray();
  return named.find((p) => p.name === platform);
}

/** The id of the user the client's token belongs to. */
export async function signedInUser(client: Marketplace): Promise<string> {
  const me = await client.session.whoami();
  if (!me) throw notSignedIn();
  return me.user.id;
}

/** The marketplace `--url`, `HSP_URL` or the profile selects, with the user's token if any. */
async function selectedMarketplace(ctx: CliContext): Promise<Marketplace | undefined> {
  try {
    return await ctx.client();
  } catch (error) {
    // No marketplace selected: a registration may still say which one.
    if (error instanceof AuthRequiredError) return undefined;
    throw error;
  }
}

interface Owner {
  platformId: string;
  platformName: string;
  userId: string;
}

function fromRegistration(registration: AgentRegistration): Owner {
  return { platformId: registration.platform_id, platformName: registration.platform_name, userId: registration.user_id };
}

async function fromUserToken(ctx: CliContext, platform: string): Promise<Owner> {
  const { platform: found } = await userPlatform(await ctx.signedInClient(), platform);
  return { platformId: found.id, platformName: found.name, userId: found.user_id };
}

async function withUserToken(ctx: CliContext, platform: string): Promise<AgentClient> {
  const client = await ctx.signedInClient();
  const { platform: found } = await userPlatform(client, platform);
  return { client, platform: found, userId: found.user_id, auth: 'user-token' };
}

async function userPlatform(client: Marketplace, platform: string): Promise<{ platform: Platform }> {
  const userId = await signedInUser(client);
  const found = await findOwnPlatform(client, userId, platform);
  if (!found) throw new FailureError(UUID.test(platform) ? `You have no platform with id ${platform}.` : `You have no platform named "${platform}"; create it with "hsp agent register --platform ${platform}".`);
  return { platform: found };
}
