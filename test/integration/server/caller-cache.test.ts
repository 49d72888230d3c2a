/**
 * The cache of authenticated callers (src/server/auth/caller-cache.ts): a token seen before is
 * answered without reading its row, user and roles again, and every change to who a token's
 * bearer is or what they may do is seen by the very next request: a token revoked (by the API
 * or straight in the database), a role granted or taken away, a role's permissions edited, a
 * group membership, a user deleted, an agent's platform key replaced, and the token's expiry.
 * On PGlite, and on PostgreSQL with HSP_TEST_DATABASE_URL (where a write straight to the
 * database is heard through its NOTIFY, a moment after it commits).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { agentTokenProvider } from '../../../src/agent/agent-token.js';
import { generateAgentKeyPair } from '../../../src/agent/keys.js';
import { Marketplace } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { rawRequest } from '../../helpers/raw-request.js';

const m = useMarketplace();

/** The statements sent to the database while `work` runs that read `table`. */
async function readsOf(table: string, work: () => Promise<unknown>): Promise<number> {
  const db = m.server.db as { query: (sql: string, ...rest: unknown[]) => Promise<unknown> };
  const original = db.query;
  let count = 0;
  db.query = (sql, ...rest) => {
    if (new RegExp(`\\b${table}\\b`).test(sql)) count++;
    return original(sql, ...rest);
  };
  try {
    await work();
  } finally {
    db.query = original;
  }
  return count;
}

const status = (token: string) => rawRequest(m, 'GET', '/status', { token });
const permissionsOf = async (token: string) => ((await status(token)).body as { permissions: Record<string, Record<string, boolean>> }).permissions;
/** A write straight to the database, past every route: only the trigger's NOTIFY tells the cache. */
const straight = (sql: string, params: unknown[]) => m.server.db.query(sql, params);
/** Seen at once on PGlite; on PostgreSQL once the NOTIFY has arrived. */
const soon = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });

async function roleId(name: string): Promise<string> {
  const { rows } = await m.server.db.query<{ id: string }>('SELECT id FROM roles WHERE name = $1', [name]);
  return rows[0]!.id;
}

describe('callers of tokens seen before', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await m.user('Cached caller');
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cost the database nothing the second time', async () => {
    expect((await status(user.token)).status).toBe(200);
    // Until the NOTIFYs of the user's creation have arrived (PostgreSQL), which empty the cache once more.
    await soon(async () => expect(await readsOf('json_web_tokens', () => status(user.token))).toBe(0));
    expect((await status(user.token)).body).toMatchObject({ permissions: { users: { read_self: true } } });
  });

  it('are refused on the very next request once revoked, through the API or in the database', async () => {
    const revoked = await m.user('Revoked by sign-out');
    await status(revoked.token);
    expect((await rawRequest(m, 'DELETE', '/sessions', { token: revoked.token })).status).toBe(200);
    const after = await status(revoked.token);
    expect(after.status).toBe(401);
    expect(after.text).toMatch(/revoked/);

    const removed = await m.user('Revoked in the database');
    await status(removed.token);
    await straight('DELETE FROM json_web_tokens WHERE user_id = $1', [removed.id]);
    await soon(async () => expect((await status(removed.token)).status).toBe(401));
  });

  it('hold the roles they have now: granted, taken away, edited, through a group', async () => {
    const grantee = await m.user('Role grantee');
    expect(await permissionsOf(grantee.token)).not.toMatchObject({ products: { create: true } });
    const editor = await roleId('Editor');
    const appointed = await rawRequest(m, 'POST', `/roles/${editor}/appointments`, { json: { appointment: { entity_type: 'User', entity_id: grantee.id } } });
    expect(appointed.status).toBe(201);
    expect(await permissionsOf(grantee.token)).toMatchObject({ products: { create: true } });

    const appointmentId = (appointed.body as { id: string }).id;
    expect((await rawRequest(m, 'DELETE', `/roles/${editor}/appointments/${appointmentId}`)).status).toBe(204);
    expect(await permissionsOf(grantee.token)).not.toMatchObject({ products: { create: true } });

    // A role the user holds through a group, its permissions edited in the database.
    const { rows } = await straight("INSERT INTO roles (name, permissions) VALUES ('Cache probe', $1) RETURNING id", [{ badges: { read: true } }]);
    const probe = (rows[0] as { id: string }).id;
    const { rows: groups } = await straight("INSERT INTO groups (name) VALUES ('Cache probers') RETURNING id", []);
    const group = (groups[0] as { id: string }).id;
    await straight("INSERT INTO appointments (role_id, entity_type, entity_id) VALUES ($1, 'Group', $2)", [probe, group]);
    expect(await permissionsOf(grantee.token)).not.toHaveProperty('badges');
    await straight('INSERT INTO members (group_id, user_id) VALUES ($1, $2)', [group, grantee.id]);
    await soon(async () => expect(await permissionsOf(grantee.token)).toMatchObject({ badges: { read: true } }));
    await straight('UPDATE roles SET permissions = $2 WHERE id = $1', [probe, { badges: { read: true, create: true } }]);
    await soon(async () => expect(await permissionsOf(grantee.token)).toMatchObject({ badges: { read: true, create: true } }));
    await straight('DELETE FROM groups WHERE id = $1', [group]);
    await soon(async () => expect(await permissionsOf(grantee.token)).not.toHaveProperty('badges'));
  });

  it('end with their user', async () => {
    const leaving = await m.user('Leaving user');
    await status(leaving.token);
    expect((await rawRequest(m, 'DELETE', `/users/${leaving.id}`)).status).toBeLessThan(300);
    expect((await status(leaving.token)).status).toBe(401);
  });

  it('end when the token expires, though nothing was written', async () => {
    const shortLived = await m.user('Short-lived');
    await status(shortLived.token);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
    const late = await status(shortLived.token);
    expect(late.status).toBe(401);
    expect(late.text).toMatch(/expired/);
  });

  it("of an agent end at once when its platform's key is replaced", async () => {
    const owner = await m.user('Agent cache owner');
    const first = generateAgentKeyPair();
    const platform = await owner.client.platforms.create(owner.id, { name: 'cache-host', public_key: first.publicKeyPem });
    const agent = new Marketplace({
      baseUrl: m.url,
      dialect: 'r2',
      maxRetries: 0,
      tokenProvider: agentTokenProvider({ privateKey: first.privateKey, platformId: platform.id, userId: owner.id, audience: m.url }),
    });
    await agent.platforms.retrieve(owner.id, platform.id);
    await soon(async () => expect(await readsOf('platforms', () => agent.platforms.retrieve(owner.id, platform.id))).toBe(1));
    await owner.client.platforms.update(owner.id, platform.id, { public_key: generateAgentKeyPair().publicKeyPem });
    await expect(agent.platforms.retrieve(owner.id, platform.id)).rejects.toMatchObject({ status: 401 });
  });
});
