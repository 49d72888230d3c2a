/**
 * The agent's own credential: short-lived JWTs it signs with its platform key, instead of a
 * user's long-lived token sitting on a host. `hsp serve` verifies them against the platform's
 * current `public_key` (src/server/auth/agent-tokens.ts), so replacing that key revokes them.
 *
 * Header `{alg: EdDSA, typ: hsp-agent+jwt}`; claims `iss: hsp-agent`, `sub` (the platform's
 * owner), `platform_id`, `aud` (the marketplace URL), `iat`, `exp` (5 minutes) and a `jti`.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TokenProvider } from '../sdk/transport.js';

/** Wire contract with the server: it recognises agent tokens by these. */
export const AGENT_TOKEN_ISSUER = 'hsp-agent';
export const AGENT_TOKEN_TYPE = 'hsp-agent+jwt';
export const AGENT_TOKEN_LIFETIME_SECONDS = 5 * 60;
/** Renewed this long before expiry, so a token never expires on its way to the server. */
export const AGENT_TOKEN_RENEW_BEFORE_SECONDS = 60;

export interface AgentTokenOptions {
  privateKey: KeyObject;
  platformId: string;
  /** The platform's owner. */
  userId: string;
  /** The marketplace URL. */
  audience: string;
  /** Milliseconds since the epoch (tests move the clock). */
  now?: () => number;
}

export function agentTokenProvider(options: AgentTokenOptions): TokenProvider {
  const { now = Date.now } = options;
  let current: { token: string; renewAt: number } | undefined;
  // Concurrent requests share one signing.
  let signing: Promise<string> | undefined;

  const mint = async (): Promise<string> => {
    const issuedAt = Math.floor(now() / 1000);
    const token = await signAgentToken(options, issuedAt);
    current = { token, renewAt: (issuedAt + AGENT_TOKEN_LIFETIME_SECONDS - AGENT_TOKEN_RENEW_BEFORE_SECONDS) * 1000 };
    return token;
  };

  return async ({ forceRefresh }) => {
    if (!forceRefresh && current && now() < current.renewAt) return current.token;
    signing ??= mint().finally(() => (signing = undefined));
    return signing;
  };
}

export async function signAgentToken(options: AgentTokenOptions, issuedAt: number): Promise<string> {
  return new SignJWT({ platform_id: options.platformId })
    .setProtectedHeader({ alg: 'EdDSA', typ: AGENT_TOKEN_TYPE })
    .setIssuer(AGENT_TOKEN_ISSUER)
    .setSubject(options.userId)
    .setAudience(options.audience.replace(/\/+$/, ''))
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + AGENT_TOKEN_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(options.privateKey);
}
