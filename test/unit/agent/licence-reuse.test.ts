/**
 * Which licence answers the agent reuses for further deploys of the same product (from a real
 * HTTP server through the real SDK): an unlimited "yes" that does not end soon, for a few
 * seconds; never a counted one (each "yes" spends a use), one ending soon, or a "no".
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LicenceCheck, REUSE_MS, reusableUntil } from '../../../src/agent/licence-check.js';
import { Marketplace } from '../../../src/index.js';

let answer: { status: number; body: unknown; delayMs?: number } = { status: 200, body: {} };
let asks = 0;
let server: Server;
let client: Marketplace;

beforeAll(async () => {
  server = createServer((req, res) => {
    // Only the questions count (the SDK may first ask /status which API it speaks).
    if (req.url?.startsWith('/authorizations/')) asks++;
    setTimeout(() => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new Marketplace({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'test-token', maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  asks = 0;
});

const owner = randomUUID();
const product = randomUUID();
const yes = (fields: { uses_left: number | null; expires_at: string | null }) => ({
  authorized: true,
  reason: 'Entitlement granted.',
  product_id: product,
  claimant_id: owner,
  claimant_type: 'User',
  entitlement_id: randomUUID(),
  claim_id: randomUUID(),
  attempt_id: randomUUID(),
  license_id: randomUUID(),
  ...fields,
});

function check() {
  const events: string[] = [];
  return { licences: new LicenceCheck(client, owner, (event) => events.push(event)), events };
}

describe('licence answers reused', () => {
  it('asks once for a burst of deploys of a product whose licence is unlimited and does not end soon', async () => {
    answer = { status: 200, body: yes({ uses_left: null, expires_at: new Date(Date.now() + 86_400_000).toISOString() }), delayMs: 20 };
    const { licences, events } = check();
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => licences.check(randomUUID(), product)));
    expect(verdicts.every((v) => v.authorized)).toBe(true);
    expect(await licences.check(randomUUID(), product.toUpperCase())).toEqual({ authorized: true, checked: true });
    expect(asks).toBe(1);
    expect(events.filter((e) => e === 'licence.granted')).toHaveLength(1);
    expect(events.filter((e) => e === 'licence.reused')).toHaveLength(5);
    // Another product is asked about on its own.
    await licences.check(randomUUID(), randomUUID());
    expect(asks).toBe(2);
  });

  it('asks every time for a counted licence, even for deploys side by side', async () => {
    answer = { status: 200, body: yes({ uses_left: 7, expires_at: null }), delayMs: 20 };
    const { licences } = check();
    await Promise.all(Array.from({ length: 3 }, () => licences.check(randomUUID(), product)));
    await licences.check(randomUUID(), product);
    expect(asks).toBe(4);
  });

  it('asks every time when the answer was a no, or the entitlement ends within the reuse window', async () => {
    const { licences } = check();
    answer = { status: 422, body: { message: 'No entitlement.', ...yes({ uses_left: null, expires_at: null }), authorized: false } };
    expect((await licences.check(randomUUID(), product)).authorized).toBe(false);
    answer = { status: 200, body: yes({ uses_left: null, expires_at: new Date(Date.now() + REUSE_MS / 2).toISOString() }) };
    expect((await licences.check(randomUUID(), product)).authorized).toBe(true);
    expect((await licences.check(randomUUID(), product)).authorized).toBe(true);
    expect(asks).toBe(3);
  });
});

describe('reusableUntil', () => {
  const now = 1_000_000;
  it('gives the reuse window for an unlimited yes without an end, or ending after the window', () => {
    expect(reusableUntil({ authorized: true, uses_left: null, expires_at: null }, now)).toBe(now + REUSE_MS);
    expect(reusableUntil({ authorized: true, uses_left: null, expires_at: new Date(now + REUSE_MS + 1).toISOString() }, now)).toBe(now + REUSE_MS);
  });
  it('gives nothing for a counted yes, a no, an answer without uses_left, or an end within the window or unreadable', () => {
    expect(reusableUntil({ authorized: true, uses_left: 3, expires_at: null }, now)).toBeUndefined();
    expect(reusableUntil({ authorized: false, uses_left: null, expires_at: null }, now)).toBeUndefined();
    expect(reusableUntil({ authorized: true, expires_at: null }, now)).toBeUndefined();
    expect(reusableUntil({ authorized: true, uses_left: null, expires_at: new Date(now + REUSE_MS).toISOString() }, now)).toBeUndefined();
    expect(reusableUntil({ authorized: true, uses_left: null, expires_at: 'soon' }, now)).toBeUndefined();
  });
});
