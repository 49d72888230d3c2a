/**
 * Database statements per request, where issue 17 cut them (bench/README.md, "Server: where the
 * time goes"): each statement is a round trip to PostgreSQL, or a turn on the embedded
 * database's single thread, so a count that creeps back up is a regression even when every
 * answer stays right. Also the answers of the one-statement parent check, level by level from
 * the top, as the statement-per-level check gave them, and the check an update allowed by
 * ownership makes inside its own statement. On PGlite, and on PostgreSQL with
 * HSP_TEST_DATABASE_URL.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { REFUSED_BY_OWNERSHIP } from '../../../src/server/errors.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { rawRequest } from '../../helpers/raw-request.js';

const m = useMarketplace();

/** The statements the server sends to its database while `work` runs. */
async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const db = m.server.db as { query: (sql: string, ...rest: unknown[]) => Promise<unknown> };
  const original = db.query;
  const sent: string[] = [];
  db.query = (sql, ...rest) => {
    sent.push(sql);
    return original(sql, ...rest);
  };
  try {
    await work();
  } finally {
    db.query = original;
  }
  return sent;
}

describe('statements per request', () => {
  let owner: TestUser;
  let platformId: string;
  let instancePath: string;
  beforeAll(async () => {
    owner = await m.user('Round-trip owner');
    const product = await m.admin.products.create({ name: 'Round-trip app' });
    await m.admin.products.publish(product.id);
    const build = await m.admin.builds.create(product.id, { version: '1.0.0' });
    platformId = (await owner.client.platforms.create(owner.id, { name: 'round-trip-host' })).id;
    const instance = await owner.client.instances.create(owner.id, platformId, { build_id: build.id });
    instancePath = `/users/${owner.id}/platforms/${platformId}/instances/${instance.id}`;
    // Every token and page below has been seen: what is measured is the steady state. On
    // PostgreSQL the NOTIFYs of the writes above arrive a moment after them and empty the
    // caches once more, so seeing them once is not enough: until asking again costs nothing.
    await vi.waitFor(
      async () => {
        const pages = () => Promise.all([rawRequest(m, 'GET', '/products?per_page=10'), rawRequest(m, 'GET', '/products?per_page=10', { token: owner.token })]);
        await pages();
        expect(await statementsDuring(pages)).toEqual([]);
      },
      { timeout: 5_000, interval: 50 },
    );
  });

  it('a signed-in catalogue page seen before: none', async () => {
    expect(await statementsDuring(() => rawRequest(m, 'GET', '/products?per_page=10', { token: owner.token }))).toEqual([]);
  });

  it('an instance read under its user and platform: one, for the row, its product and both parents', async () => {
    let answer: Awaited<ReturnType<typeof rawRequest>> | undefined;
    const sent = await statementsDuring(async () => (answer = await rawRequest(m, 'GET', instancePath, { token: owner.token })));
    expect(answer!.status).toBe(200);
    expect((answer!.body as { product_id: unknown }).product_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent).toHaveLength(1);
  });

  it('an agent-style report by the platform’s owner, allowed by owning it: the read, and the UPDATE checking ownership itself', async () => {
    let status = 0;
    const sent = await statementsDuring(async () => {
      status = (await rawRequest(m, 'PATCH', instancePath, { token: owner.token, json: { instance: { deployed_at: new Date().toISOString() } } })).status;
    });
    expect(status).toBe(200);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/^UPDATE instances[\s\S]*hsp_refuse_unless/);
  });

  it('a product created by a role that allows it, with no files: the INSERT alone', async () => {
    let status = 0;
    const sent = await statementsDuring(async () => {
      status = (await rawRequest(m, 'POST', '/products', { json: { product: { name: `Round-trip created ${randomUUID()}` } } })).status;
    });
    expect(status).toBe(201);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^INSERT INTO products/);
  });

  it('a product updated by a role that allows it: the read it is judged by, the UPDATE, its embeds', async () => {
    const product = await m.admin.products.create({ name: `Round-trip updated ${randomUUID()}` });
    let status = 0;
    const sent = await statementsDuring(async () => {
      status = (await rawRequest(m, 'PATCH', `/products/${product.id}`, { json: { product: { description: 'Changed in one statement.' } } })).status;
    });
    expect(status).toBe(200);
    expect(sent).toHaveLength(3);
    expect(sent.filter((sql) => /^\s*(BEGIN|COMMIT)/i.test(sql))).toEqual([]);
  });
});

describe('an update allowed by ownership, checked by its own statement', () => {
  // Through the API, no update can move a row away from its owner (parent columns are not
  // writable, owner fields are refused first): this check is the backstop, so it is tried
  // here on the database itself, the way the update route writes it.
  it('fails the whole statement when the written row would not be the caller’s: nothing is written', async () => {
    const product = await m.admin.products.create({ name: `Round-trip guarded ${randomUUID()}` });
    const refused = await m.server.db
      .query(`UPDATE products AS r SET description = 'written?' WHERE r.id = $1 RETURNING r.id, hsp_refuse_unless(r.user_id = $2) AS __owned`, [product.id, randomUUID()])
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: REFUSED_BY_OWNERSHIP });
    expect((await m.admin.products.retrieve(product.id)).description).not.toBe('written?');
    // Allowed: written, and the answer carries the row.
    const { rows } = await m.server.db.query(`UPDATE products AS r SET description = 'written' WHERE r.id = $1 RETURNING r.id, hsp_refuse_unless(r.user_id = r.user_id) AS __owned`, [product.id]);
    expect(rows).toHaveLength(1);
    expect((await m.admin.products.retrieve(product.id)).description).toBe('written');
  });
});

describe('the parents of a URL, judged from the top in one statement', () => {
  it('say which level is missing, or not the caller’s, as a statement per level did', async () => {
    const owner = await m.user('Parent owner');
    const stranger = await m.user('Parent stranger');
    const platform = await owner.client.platforms.create(owner.id, { name: 'parent-host' });
    const missing = randomUUID();

    const noUser = await rawRequest(m, 'GET', `/users/${missing}/platforms/${missing}/instances/${missing}`);
    expect(noUser.status).toBe(404);
    expect((noUser.body as { message: string }).message).toBe(`No user with id ${missing}.`);

    const noPlatform = await rawRequest(m, 'GET', `/users/${owner.id}/platforms/${missing}/instances/${missing}`);
    expect(noPlatform.status).toBe(404);
    expect((noPlatform.body as { message: string }).message).toBe(`No platform with id ${missing}.`);

    // Another user's platform, but under the wrong user: it does not belong there.
    const misplaced = await rawRequest(m, 'GET', `/users/${stranger.id}/platforms/${platform.id}/instances/${missing}`);
    expect(misplaced.status).toBe(404);
    expect((misplaced.body as { message: string }).message).toBe(`No platform with id ${platform.id}.`);

    const notTheirs = await rawRequest(m, 'GET', `/users/${owner.id}/platforms/${platform.id}/instances/${missing}`, { token: stranger.token });
    expect(notTheirs.status).toBe(403);
    expect((notTheirs.body as { message: string }).message).toBe('You are not allowed to read this user.');

    const anonymous = await rawRequest(m, 'GET', `/users/${owner.id}/platforms/${platform.id}/instances/${missing}`, { token: null });
    expect(anonymous.status).toBe(401);

    const noInstance = await rawRequest(m, 'GET', `/users/${owner.id}/platforms/${platform.id}/instances/${missing}`, { token: owner.token });
    expect(noInstance.status).toBe(404);
    expect((noInstance.body as { message: string }).message).toBe(`No instance with id ${missing}.`);
  });
});
