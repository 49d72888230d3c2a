/**
 * Agent tokens: short-lived JWTs a platform agent signs with its own key (`hsp agent listen`),
 * verified against the platform's `public_key` as it is NOW, on every request. So replacing or
 * clearing the key revokes every token it signed, at once, with no token table.
 *
 * The caller they make is the platform's owner, bound to that one platform (`platformId`) and
 * restricted to what an agent needs (see ./agent-access.ts).
 *
 * `aud` (the marketplace URL the agent was given) is not compared with this server's URL: a
 * replica behind a proxy or a load balancer cannot reliably know which URL its clients use,
 * and what binds a token to this marketplace is already stronger than a URL: the platform id
 * and the key registered for it here. A token is only good where that key is registered.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Queryable } from '../db/database.js';
import { HttpError } from '../errors.js';
import { UUID_PATTERN } from '../resources/definition.js';
import { callerFor, type Caller } from './caller.js';

/** The wire contract with the agent (src/agent/agent-token.ts mints them). */
export const AGENT_TOKEN_ISSUER = 'hsp-agent';
export const AGENT_TOKEN_TYPE = 'hsp-agent+jwt';
/** Longer-lived tokens are refused: a stolen one must be worth little. */
export const MAX_AGENT_TOKEN_LIFETIME_SECONDS = 10 * 60;
/** Clocks of hosts and servers drift a little. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Whether a bearer token claims to be an agent token (nothing is trusted yet). */
export function isAgentToken(claims: JWTPayload, token: string): boolean {
  if (claims.iss === AGENT_TOKEN_ISSUER) return true;
  try {
    return decodeProtectedHeader(token).typ === AGENT_TOKEN_TYPE;
  } catch {
    return false;
  }
}

const refused = (reason: string) => new HttpError(401, reason);

/** The caller an agent token stands for; a 401 with one sentence when it is not good. */
export async function authenticateAgent(db: Queryable, token: string, claims: JWTPayload, now: () => number = Date.now): Promise<Caller> {
  const platformId = claims.platform_id;
  if (typeof platformId !== 'string' || !UUID_PATTERN.test(platformId)) throw refused('The agent token names no platform (platform_id).');
  const { rows } = await db.query<{ user_id: string; public_key: string | null }>('SELECT user_id, public_key FROM platforms WHERE id = $1', [platformId.toLowerCase()]);
  const platform = rows[0];
  if (!platform) throw refused('The agent token is for a platform that does not exist.');
  if (!platform.public_key?.trim()) throw refused('The platform has no agent key; register its agent again with "hsp agent register".');
  const key = agentKeyOf(platform.public_key);
  if (!key) throw refused("The platform's public_key is not an Ed25519 public key in PEM form; register its agent again.");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['EdDSA', 'Ed25519'],
      issuer: AGENT_TOKEN_ISSUER,
      typ: AGENT_TOKEN_TYPE,
      requiredClaims: ['sub', 'iat', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now()),
    }));
  } catch (error) {
    throw refused(verificationFailure(error));
  }
  const nowSeconds = now() / 1000;
  // Both: a token issued "in the future" must not stretch its life past the limit either.
  if (payload.exp! - payload.iat! > MAX_AGENT_TOKEN_LIFETIME_SECONDS || payload.exp! - nowSeconds > MAX_AGENT_TOKEN_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
    throw refused(`The agent token lives longer than ${MAX_AGENT_TOKEN_LIFETIME_SECONDS / 60} minutes; agent tokens must be short-lived.`);
  }
  if (payload.sub !== platform.user_id) throw refused("The agent token's subject is not the platform's owner.");

  const caller = await callerFor(db, platform.user_id, { platformId: platformId.toLowerCase() });
  if (!caller) throw refused("The platform's owner no longer exists.");
  return caller;
}

/** The platform's key as a verification key, when it is an Ed25519 public key. */
function agentKeyOf(pem: string): KeyObject | undefined {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

function verificationFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The agent token has expired.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "The agent token is not signed by the platform's current key.";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'Agent tokens must be signed with EdDSA (Ed25519).';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `The agent token's ${error.claim} claim is not valid.`;
  return 'The agent token is not a valid JWT.';
}
