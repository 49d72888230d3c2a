/** Agent tokens as minted by the agent: claims, lifetime, caching, renewal and forced refresh. */
import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { AGENT_TOKEN_ISSUER, AGENT_TOKEN_LIFETIME_SECONDS, AGENT_TOKEN_TYPE, agentTokenProvider } from '../../../src/agent/agent-token.js';
import { generateAgentKeyPair } from '../../../src/agent/keys.js';

const PLATFORM = '3d9d0872-a1f5-4e4b-9324-af608b423aae';
const OWNER = '53ae2c3f-a31f-4a95-a8c9-536f9c6cfde2';
const START = Date.UTC(2025, 0, 1, 12, 0, 0);

function setup() {
  const pair = generateAgentKeyPair();
  const clock = { now: START };
  const provider = agentTokenProvider({ privateKey: pair.privateKey, platformId: PLATFORM, userId: OWNER, audience: 'http://127.0.0.1:3000/', now: () => clock.now });
  const token = async (forceRefresh = false) => {
    const value = await provider({ forceRefresh });
    if (!value) throw new Error('the provider gave no token');
    return value;
  };
  return { pair, clock, token };
}

describe('agentTokenProvider', () => {
  it('signs an EdDSA JWT of type hsp-agent+jwt with the agreed claims, verifiable with the public key', async () => {
    const { pair, token } = setup();
    const jwt = await token();
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', typ: AGENT_TOKEN_TYPE });
    const claims = decodeJwt(jwt);
    expect(claims).toEqual({
      iss: AGENT_TOKEN_ISSUER,
      sub: OWNER,
      platform_id: PLATFORM,
      aud: 'http://127.0.0.1:3000',
      iat: START / 1000,
      exp: START / 1000 + 300,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(AGENT_TOKEN_LIFETIME_SECONDS).toBe(300);
    const { payload } = await jwtVerify(jwt, createPublicKey(pair.publicKeyPem), { algorithms: ['EdDSA'], currentDate: new Date(START) });
    expect(payload.sub).toBe(OWNER);
  });

  it('hands out the same token until a minute before it expires, then a new one', async () => {
    const { clock, token } = setup();
    const first = await token();
    clock.now = START + 239_000;
    expect(await token()).toBe(first);
    clock.now = START + 240_000;
    const second = await token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second)).toMatchObject({ iat: START / 1000 + 240, exp: START / 1000 + 540 });
    expect(await token()).toBe(second);
  });

  it('signs a fresh token when forced (the server refused the last one), with a new jti', async () => {
    const { token } = setup();
    const first = await token();
    const forced = await token(true);
    expect(forced).not.toBe(first);
    expect(decodeJwt(forced).jti).not.toBe(decodeJwt(first).jti);
    expect(await token()).toBe(forced);
  });

  it('signs once for concurrent requests', async () => {
    const { token } = setup();
    const tokens = await Promise.all([token(), token(), token(), token()]);
    expect(new Set(tokens).size).toBe(1);
  });
});
