/**
 * What the agent makes of each answer of the authorization route, from a real HTTP server
 * through the real SDK: a yes, a no with its reason, a route the marketplace does not have
 * (no licence checks), and a 404 about the product or an error (no answer: the deploy waits).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LicenceCheck } from '../../../src/agent/licence-check.js';
import { Marketplace, NotFoundError } from '../../../src/index.js';

let answer: { status: number; body: unknown } = { status: 200, body: {} };
const paths: string[] = [];
let server: Server;
let client: Marketplace;

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new Marketplace({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'test-token', maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const owner = randomUUID();
const product = randomUUID();
const instance = randomUUID();
const authorization = (authorized: boolean, reason: string) => ({
  authorized,
  reason,
  product_id: product,
  claimant_id: owner,
  claimant_type: 'User',
  entitlement_id: authorized ? randomUUID() : null,
  claim_id: null,
  attempt_id: randomUUID(),
  license_id: null,
  expires_at: null,
  uses_left: null,
});

function check() {
  const logs: { event: string; fields?: Record<string, unknown> }[] = [];
  const licences = new LicenceCheck(client, owner, (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }));
  return { licences, logs };
}

describe('LicenceCheck', () => {
  it('asks about the platform owner and the product, and deploys on a yes', async () => {
    answer = { status: 200, body: authorization(true, 'Product "App" has no licence, so it needs no entitlement.') };
    const { licences, logs } = check();
    expect(await licences.check(instance, product)).toEqual({ authorized: true, checked: true });
    expect(paths.at(-1)).toBe(`PUT /authorizations/users/${owner}/products/${product}`);
    expect(logs.map((l) => l.event)).toEqual(['licence.granted']);
  });

  it('does not deploy on a no, saying why in one sentence about the instance', async () => {
    answer = { status: 422, body: { message: 'No entitlement of user "Lena" covers product "App": none was ever acquired.', ...authorization(false, 'No entitlement of user "Lena" covers product "App": none was ever acquired.') } };
    const { licences } = check();
    expect(await licences.check(instance, product)).toEqual({
      authorized: false,
      reason: `Instance ${instance}: the platform's owner may not use product ${product}: no entitlement of user "Lena" covers product "App": none was ever acquired.`,
    });
  });

  it.each([
    ['the reference server\u2019s Rails answer', { status: 404, error: 'Not Found' }],
    ['hsp serve\u2019s answer for a route it does not have', { status: 404, error: 'Not Found', message: `No route for PUT /authorizations/users/${owner}/products/${product}.` }],
  ])('deploys without a check when the marketplace has no such route (%s), and says so once', async (_name, body) => {
    answer = { status: 404, body };
    const { licences, logs } = check();
    expect(await licences.check(instance, product)).toEqual({ authorized: true, checked: false });
    expect(await licences.check(randomUUID(), product)).toEqual({ authorized: true, checked: false });
    expect(logs).toEqual([{ event: 'licence.unchecked', fields: { reason: 'The marketplace has no authorization endpoint, so the agent deploys without licence checks.' } }]);
  });

  it('gives no answer for a 404 about the product, or a server error: the deploy waits for its retry', async () => {
    answer = { status: 404, body: { status: 404, error: 'Not Found', message: `Product ${product} was not found.` } };
    await expect(check().licences.check(instance, product)).rejects.toBeInstanceOf(NotFoundError);
    answer = { status: 500, body: { status: 500, error: 'Internal Server Error', message: 'Something went wrong.' } };
    await expect(check().licences.check(instance, product)).rejects.toThrow();
  });
});
