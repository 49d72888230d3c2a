/**
 * Accounts through the SDK against a real server: users, identities, identity providers,
 * roles, groups, members, appointments, platforms, instances and the session.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError, type Marketplace } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();

/** A request on the wire, for what the SDK smooths over (status codes, bare arrays, JSON strings). */
async function wire(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${m.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
}

async function fieldErrors(promise: Promise<unknown>): Promise<Record<string, string[]>> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).fieldErrors;
}

/** The 422 body of a wire request. */
async function wireErrors(answer: Promise<{ status: number; body: unknown }>): Promise<Record<string, string[]>> {
  const { status, body } = await answer;
  expect(status, JSON.stringify(body)).toBe(422);
  return body as Record<string, string[]>;
}

async function adminUserId(): Promise<string> {
  return (await m.admin.session.status()).identity!.user_id;
}

async function roleId(name: string): Promise<string> {
  const roles = await m.admin.roles.list({ perPage: 100 }).toArray();
  return roles.find((r) => r.name === name)!.id;
}

/** A build to deploy: through the SDK when the catalogue serves builds, else straight into the database. */
async function makeBuild(owner: Marketplace, options: { published?: boolean } = {}): Promise<string> {
  const stamp = randomUUID().slice(0, 8);
  const published = options.published ? { published_at: '2020-01-01T00:00:00Z', visible_at: '2020-01-01T00:00:00Z' } : {};
  const product = await m.admin.products.create({ name: `Deployable ${stamp}`, ...published, user_id: (await owner.session.status()).identity!.user_id } as never);
  try {
    return (await m.admin.builds.create(product.id, { version: '1.0.0' })).id;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const { rows } = await m.server.db.query<{ id: string }>(`INSERT INTO builds (product_id, version) VALUES ($1, '1.0.0') RETURNING id`, [product.id]);
    return rows[0]!.id;
  }
}

describe('users', () => {
  it('an administrator creates, reads, lists, updates and deletes a user', async () => {
    const user = await m.admin.users.create({ name: 'Una User', first_name: 'Una', last_name: 'User', external_id: 'una-1' });
    expect(user).toMatchObject({ name: 'Una User', first_name: 'Una', last_name: 'User', middle_name: null, external_id: 'una-1' });
    expect(user.url).toBe(`${m.url}/users/${user.id}`);
    expect(Object.keys(user)).toEqual(expect.arrayContaining(['id', 'name', 'external_id', 'first_name', 'middle_name', 'last_name', 'created_at', 'updated_at', 'url', 'path']));

    await expect(m.admin.users.retrieve(user.id)).resolves.toMatchObject({ id: user.id });
    const page = await m.admin.users.list({ external_id: 'una-1' });
    expect(page.items.map((u) => u.id)).toEqual([user.id]);
    await expect(m.admin.users.update(user.id, { middle_name: 'Q' })).resolves.toMatchObject({ middle_name: 'Q' });

    const deleted = await m.admin.users.delete(user.id);
    expect(deleted?.id).toBe(user.id);
    await expect(m.admin.users.retrieve(user.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('new users hold the default roles', async () => {
    const user = await m.admin.users.create({ name: 'Default Dora' });
    const appointed = await m.admin.appointments.list(await roleId('Standard')).toArray();
    expect(appointed.some((a) => a.entity_id === user.id && a.entity_type === 'User')).toBe(true);
  });

  it('a name is required', async () => {
    expect(await wireErrors(wire('POST', '/users', m.server.adminToken, { user: { name: ' ' } }))).toEqual({ name: ["can't be blank"] });
  });

  it('users read and update themselves, and see no one else', async () => {
    const sam = await m.user('Sam Self');
    const other = await m.user('Olga Other');
    await expect(sam.client.users.retrieve(sam.id)).resolves.toMatchObject({ name: 'Sam Self' });
    await expect(sam.client.users.update(sam.id, { first_name: 'Sam' })).resolves.toMatchObject({ first_name: 'Sam' });
    await expect(sam.client.users.retrieve(other.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(sam.client.users.update(other.id, { name: 'x' })).rejects.toBeInstanceOf(PermissionDeniedError);
    const listed = await sam.client.users.list();
    expect(listed.items.map((u) => u.id)).toEqual([sam.id]);
    await expect(sam.client.users.create({ name: 'Nope' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.users.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('nobody deletes themself, not even an administrator', async () => {
    await expect(m.admin.users.delete(await adminUserId())).rejects.toBeInstanceOf(PermissionDeniedError);
    const sam = await m.user('Sam Suicidal');
    await expect(sam.client.users.delete(sam.id)).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe('identity providers', () => {
  it('administrators manage them and see their settings; everyone else sees the public part', async () => {
    const provider = await m.admin.identityProviders.create({
      name: 'Example IdP',
      issuer: 'https://idp.example.org/realms/main',
      client_id: 'marketplace',
      client_secret: 'very-secret',
      scopes: 'openid,email',
    });
    expect(provider).toMatchObject({ name: 'Example IdP', client_id: 'marketplace', client_secret: 'very-secret', scopes: 'openid,email' });
    // Registered to be used: enabled from the start (the reference server leaves it null, and never checks it).
    expect(provider.enabled_at).toMatch(/^\d{4}-/);
    expect(provider.url).toBe(`${m.url}/identity_providers/${provider.id}.json`);
    expect(provider.redirect_url).toBe(`${m.url}/identity_providers/${provider.id}/redirect`);

    const seen = await m.anonymous.identityProviders.retrieve(provider.id);
    expect(Object.keys(seen).sort()).toEqual(['id', 'issuer', 'name', 'path', 'redirect_url', 'url']);
    const standard = await m.user('Pia Public');
    const listed = await standard.client.identityProviders.list().toArray();
    expect(listed.find((p) => p.id === provider.id)).not.toHaveProperty('client_secret');

    await expect(m.admin.identityProviders.update(provider.id, { alternate_client_id: 'marketplace-cli' })).resolves.toMatchObject({ alternate_client_id: 'marketplace-cli' });
    await expect(standard.client.identityProviders.update(provider.id, { name: 'Mine' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.identityProviders.create({ name: 'x', issuer: 'https://x.example', client_id: 'a', client_secret: 'b' })).rejects.toBeInstanceOf(AuthenticationError);

    const deleted = await m.admin.identityProviders.delete(provider.id);
    expect(deleted?.id).toBe(provider.id);
  });

  it('enable and disable set and clear enabled_at, for administrators only', async () => {
    const provider = await m.admin.identityProviders.create({ name: 'Toggle IdP', issuer: 'https://toggle.example.org', client_id: 'a', client_secret: 'b', enabled_at: null });
    expect(provider.enabled_at).toBeNull();
    const enabled = await m.admin.identityProviders.enable(provider.id);
    expect(enabled.enabled_at).toMatch(/^\d{4}-/);
    expect((await m.admin.identityProviders.enable(provider.id)).enabled_at).toBe(enabled.enabled_at);
    expect((await m.admin.identityProviders.disable(provider.id)).enabled_at).toBeNull();

    const standard = await m.user('Tom Toggler');
    await expect(standard.client.identityProviders.enable(provider.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.identityProviders.disable(provider.id)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(m.admin.identityProviders.enable(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    expect((await wire('POST', '/identity_providers/not-a-uuid/enable', m.server.adminToken)).status).toBe(404);
  });

  it('refuses a bad issuer and a duplicate name', async () => {
    const base = { client_id: 'a', client_secret: 'b' };
    expect(await fieldErrors(m.admin.identityProviders.create({ ...base, name: 'Bad issuer', issuer: 'not a url' }))).toHaveProperty('issuer');
    expect(await fieldErrors(m.admin.identityProviders.create({ ...base, name: 'FTP issuer', issuer: 'ftp://idp.example' }))).toHaveProperty('issuer');
    await m.admin.identityProviders.create({ ...base, name: 'Twice', issuer: 'https://twice.example' });
    expect(await fieldErrors(m.admin.identityProviders.create({ ...base, name: 'Twice', issuer: 'https://twice-2.example' }))).toEqual({ name: ['has already been taken'] });
  });
});

describe('identities', () => {
  it('an administrator manages a user’s identities; the user reads their own', async () => {
    const provider = await m.admin.identityProviders.create({ name: 'Identity IdP', issuer: 'https://identity.example.org', client_id: 'a', client_secret: 'b' });
    const ivy = await m.user('Ivy Identity');
    const identity = await m.admin.identities.create(ivy.id, { identity_provider_id: provider.id, sub: 'ivy-123', email: 'ivy@example.org', jwt: { sub: 'ivy-123', email: 'ivy@example.org' } });
    expect(identity).toMatchObject({ user_id: ivy.id, sub: 'ivy-123', email: 'ivy@example.org', jwt: { sub: 'ivy-123' }, notify_via_email: false });
    expect(identity.url).toBe(`${m.url}/users/${ivy.id}/identities/${identity.id}`);

    await expect(m.admin.identities.update(ivy.id, identity.id, { locale: 'fr' })).resolves.toMatchObject({ locale: 'fr' });
    const mine = await ivy.client.identities.list(ivy.id);
    expect(mine.items.map((i) => i.id)).toEqual([identity.id]);
    await expect(ivy.client.identities.retrieve(ivy.id, identity.id)).resolves.toMatchObject({ sub: 'ivy-123' });

    // Claiming a login would sign its owner into this account: users never create or edit identities.
    await expect(ivy.client.identities.create(ivy.id, { identity_provider_id: provider.id, sub: 'someone-else' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(ivy.client.identities.update(ivy.id, identity.id, { sub: 'someone-else' })).rejects.toBeInstanceOf(PermissionDeniedError);
    const other = await m.user('Oscar Other');
    await expect(other.client.identities.list(ivy.id)).rejects.toBeInstanceOf(PermissionDeniedError);

    expect(await fieldErrors(m.admin.identities.create(other.id, { identity_provider_id: provider.id, sub: 'ivy-123' }))).toEqual({ sub: ['has already been taken'] });
    expect(await wireErrors(wire('POST', `/users/${other.id}/identities`, m.server.adminToken, { identity: { identity_provider_id: provider.id, sub: 'x', jwt: '[1,2]' } }))).toHaveProperty('jwt');
    expect(await fieldErrors(m.admin.identities.create(other.id, { identity_provider_id: randomUUID(), sub: 'x' }))).toEqual({ identity_provider_id: ['must exist'] });

    const deleted = await ivy.client.identities.delete(ivy.id, identity.id);
    expect(deleted?.id).toBe(identity.id);
  });
});

describe('roles', () => {
  it('permissions are an object, merged into the template; unknown nouns are allowed', async () => {
    const role = await m.admin.roles.create({ name: 'Widget reader', description: 'reads', permissions: { products: { read: true }, widgets: { frob: true } } });
    expect(role.permissions).toMatchObject({
      everything: { manage: false },
      products: { read: true, create: false, publish: false },
      users: { read: false },
      widgets: { frob: true },
    });
    expect(role.default).toBe(false);
    await expect(m.admin.roles.update(role.id, { description: 'reads more' })).resolves.toMatchObject({ description: 'reads more', permissions: { widgets: { frob: true } } });
    const replaced = await m.admin.roles.update(role.id, { permissions: { groups: { read: true } } });
    expect(replaced.permissions).toMatchObject({ groups: { read: true }, products: { read: false } });
    expect(replaced.permissions).not.toHaveProperty('widgets');

    // Seeded roles show the same template.
    const administrator = await m.admin.roles.retrieve(await roleId('Administrator'));
    expect(administrator.permissions).toMatchObject({ everything: { manage: true }, products: { publish: false }, users: { read_self: false } });

    const defaults = await m.admin.roles.list({ default: true }).toArray();
    expect(defaults.map((r) => r.name)).toEqual(['Standard']);
    const deleted = await m.admin.roles.delete(role.id);
    expect(deleted?.id).toBe(role.id);
  });

  it('refuses permissions that are not {noun: {verb: boolean}}', async () => {
    const bad = (permissions: unknown) => wireErrors(wire('POST', '/roles', m.server.adminToken, { role: { name: `Bad ${randomUUID()}`, permissions } }));
    expect(await bad({ products: { read: 'yes' } })).toEqual({ permissions: ['products.read must be true or false'] });
    expect((await bad({ products: { raed: true } })).permissions![0]).toMatch(/products.raed is not a permission/);
    expect(await bad({ products: true })).toHaveProperty('permissions');
    expect(await bad([1, 2])).toHaveProperty('permissions');
    expect(await bad('not json')).toHaveProperty('permissions');
    expect(await bad({ 'drop table': { read: true } })).toHaveProperty('permissions');
  });

  it('only role managers see or change roles', async () => {
    const standard = await m.user('Rita Roleless');
    await expect(standard.client.roles.list()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(standard.client.roles.create({ name: 'Mine' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.roles.list()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('groups and members', () => {
  it('groups: create, list (also by role), update, delete (204)', async () => {
    const group = await m.admin.groups.create({ name: 'Reviewers', description: 'review things' });
    expect(group).toMatchObject({ name: 'Reviewers', description: 'review things' });
    await expect(m.admin.groups.update(group.id, { description: 'review more' })).resolves.toMatchObject({ description: 'review more' });
    const editor = await roleId('Editor');
    await m.admin.appointments.create(editor, { entity_id: group.id, entity_type: 'Group' });
    expect((await m.admin.groups.list({ role: editor }).toArray()).map((g) => g.id)).toEqual([group.id]);
    expect(await fieldErrors(m.admin.groups.create({ name: 'Reviewers' }))).toEqual({ name: ['has already been taken'] });

    const removed = await wire('DELETE', `/groups/${group.id}`, m.server.adminToken);
    expect(removed.status).toBe(204);
    await expect(m.admin.groups.retrieve(group.id)).rejects.toBeInstanceOf(NotFoundError);
    // The group's appointments go with it.
    expect((await m.admin.appointments.list(editor).toArray()).some((a) => a.entity_id === group.id)).toBe(false);
  });

  it('members: a bare array, one membership per user, 204 on delete', async () => {
    const group = await m.admin.groups.create({ name: 'Members club' });
    const mia = await m.user('Mia Member');
    const member = await m.admin.members.create(group.id, { user_id: mia.id });
    expect(member).toMatchObject({ group_id: group.id, user_id: mia.id });
    const listed = await wire('GET', `/groups/${group.id}/members`, m.server.adminToken);
    expect(Array.isArray(listed.body)).toBe(true);
    expect((listed.body as { id: string }[]).map((x) => x.id)).toEqual([member.id]);
    await expect(m.admin.members.retrieve(group.id, member.id)).resolves.toMatchObject({ user_id: mia.id });

    expect(await fieldErrors(m.admin.members.create(group.id, { user_id: mia.id }))).toEqual({ user_id: ['has already been taken'] });
    expect(await fieldErrors(m.admin.members.create(group.id, { user_id: randomUUID() }))).toEqual({ user_id: ['must exist'] });
    await expect(mia.client.members.list(group.id).toArray()).rejects.toBeInstanceOf(PermissionDeniedError);

    expect((await wire('DELETE', `/groups/${group.id}/members/${member.id}`, m.server.adminToken)).status).toBe(204);
    expect(await m.admin.members.list(group.id).toArray()).toEqual([]);
  });
});

describe('appointments', () => {
  it('appoint a user or a group to a role; the entity must exist', async () => {
    const role = await m.admin.roles.create({ name: 'Appointable', permissions: { products: { read: true } } });
    const ada = await m.user('Ada Appointee');
    const appointment = await m.admin.appointments.create(role.id, { entity_id: ada.id, entity_type: 'User' });
    expect(appointment).toMatchObject({ role_id: role.id, entity_id: ada.id, entity_type: 'User' });
    const listed = await wire('GET', `/roles/${role.id}/appointments`, m.server.adminToken);
    expect((listed.body as { id: string }[]).map((a) => a.id)).toEqual([appointment.id]);
    await expect(m.admin.appointments.retrieve(role.id, appointment.id)).resolves.toMatchObject({ id: appointment.id });

    // The role now shows in the user's permissions.
    expect((await ada.client.session.status()).permissions).toMatchObject({ products: { read: true } });

    expect(await fieldErrors(m.admin.appointments.create(role.id, { entity_id: ada.id, entity_type: 'User' }))).toEqual({ entity_id: ['has already been taken'] });
    expect((await fieldErrors(m.admin.appointments.create(role.id, { entity_id: randomUUID(), entity_type: 'Group' }))).entity_id![0]).toMatch(/^must exist/);
    const wrongType = await wire('POST', `/roles/${role.id}/appointments`, m.server.adminToken, { appointment: { entity_id: ada.id, entity_type: 'Robot' } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body).toEqual({ entity_type: ['must be one of: User, Group'] });

    expect((await wire('DELETE', `/roles/${role.id}/appointments/${appointment.id}`, m.server.adminToken)).status).toBe(204);
    expect((await ada.client.session.status()).permissions).not.toHaveProperty('products');
  });
});

describe('platforms', () => {
  it('owners manage their own platforms; names are unique per user', async () => {
    const olive = await m.user('Olive Owner');
    const platform = await olive.client.platforms.create(olive.id, { name: 'laptop', public_key: 'ssh-ed25519 AAAA test' });
    expect(platform).toMatchObject({ name: 'laptop', user_id: olive.id, public_key: 'ssh-ed25519 AAAA test' });
    expect(platform.url).toBe(`${m.url}/users/${olive.id}/platforms/${platform.id}.json`);
    await expect(olive.client.platforms.update(olive.id, platform.id, { name: 'desktop' })).resolves.toMatchObject({ name: 'desktop' });
    expect((await olive.client.platforms.list(olive.id)).items.map((p) => p.id)).toEqual([platform.id]);

    expect(await fieldErrors(olive.client.platforms.create(olive.id, { name: 'desktop' }))).toEqual({ name: ['has already been taken'] });
    const peter = await m.user('Peter Peer');
    await expect(peter.client.platforms.create(peter.id, { name: 'desktop' })).resolves.toMatchObject({ user_id: peter.id });

    // Someone else's platforms are out of reach, listing and creating included.
    await expect(peter.client.platforms.retrieve(olive.id, platform.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(peter.client.platforms.list(olive.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(peter.client.platforms.create(olive.id, { name: 'planted' })).rejects.toBeInstanceOf(PermissionDeniedError);
    // A platform is only found under its own user.
    await expect(m.admin.platforms.retrieve(peter.id, platform.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(m.admin.platforms.retrieve(olive.id, platform.id)).resolves.toMatchObject({ id: platform.id });

    const deleted = await olive.client.platforms.delete(olive.id, platform.id);
    expect(deleted?.id).toBe(platform.id);
  });

  it('eight concurrent creates of one name: exactly one wins', async () => {
    const racer = await m.user('Rae Racer');
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => racer.client.platforms.create(racer.id, { name: 'contested' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(ValidationError);
      expect((result.reason as ValidationError).fieldErrors).toEqual({ name: ['has already been taken'] });
    }
  });
});

describe('instances', () => {
  it('the platform owner deploys a build; launch_bindings is an object or a JSON string', async () => {
    const olga = await m.user('Olga Operator');
    const platform = await olga.client.platforms.create(olga.id, { name: 'cluster' });
    const buildId = await makeBuild(m.admin, { published: true });
    const instance = await olga.client.instances.create(olga.id, platform.id, { build_id: buildId, launch_bindings: { port: 8080 } });
    expect(instance).toMatchObject({ platform_id: platform.id, build_id: buildId, launch_bindings: { port: 8080 }, deployed_at: null });
    expect(instance.url).toBe(`${m.url}/users/${olga.id}/platforms/${platform.id}/instances/${instance.id}.json`);

    const asObject = await wire('PATCH', instance.path!, olga.token, { instance: { launch_bindings: { port: 9090 } } });
    expect(asObject.body).toMatchObject({ launch_bindings: { port: 9090 } });
    const updated = await olga.client.instances.update(olga.id, platform.id, instance.id, { deployed_at: '2024-05-01T10:00:00Z' });
    expect(updated.deployed_at).toBe('2024-05-01T10:00:00.000Z');
    expect((await olga.client.instances.list(olga.id, platform.id)).items.map((i) => i.id)).toEqual([instance.id]);
    // The build's product, which a build's URL needs (the reference server does not render it).
    const { rows } = await m.server.db.query<{ product_id: string }>('SELECT product_id FROM builds WHERE id = $1', [buildId]);
    expect(instance.product_id).toBe(rows[0]!.product_id);
    expect((await olga.client.instances.retrieve(olga.id, platform.id, instance.id)).product_id).toBe(rows[0]!.product_id);

    expect(await wireErrors(wire('PATCH', instance.path!, olga.token, { instance: { launch_bindings: '[1]' } }))).toEqual({ launch_bindings: ['must be a JSON object'] });
    expect(await fieldErrors(olga.client.instances.create(olga.id, platform.id, { build_id: randomUUID() }))).toEqual({ build_id: ['must exist'] });

    const stranger = await m.user('Sid Stranger');
    await expect(stranger.client.instances.retrieve(olga.id, platform.id, instance.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(stranger.client.instances.create(olga.id, platform.id, { build_id: buildId })).rejects.toBeInstanceOf(PermissionDeniedError);

    const deleted = await olga.client.instances.delete(olga.id, platform.id, instance.id);
    expect(deleted?.id).toBe(instance.id);
  });

  it('an unpublished product’s build is deployable by its owner only', async () => {
    const owner = await m.user('Uma Unpublished', ['Editor']);
    const buildId = await makeBuild(owner.client);
    const ownPlatform = await owner.client.platforms.create(owner.id, { name: 'own' });
    await expect(owner.client.instances.create(owner.id, ownPlatform.id, { build_id: buildId })).resolves.toMatchObject({ build_id: buildId });
    const other = await m.user('Otto Outsider');
    const platform = await other.client.platforms.create(other.id, { name: 'theirs' });
    expect(await fieldErrors(other.client.instances.create(other.id, platform.id, { build_id: buildId }))).toEqual({ build_id: ['must exist'] });
  });

  it('deleting a platform deletes its instances', async () => {
    const pat = await m.user('Pat Platform');
    const platform = await pat.client.platforms.create(pat.id, { name: 'gone' });
    const instance = await pat.client.instances.create(pat.id, platform.id, { build_id: await makeBuild(m.admin, { published: true }) });
    await pat.client.platforms.delete(pat.id, platform.id);
    const { rows } = await m.server.db.query('SELECT 1 FROM instances WHERE id = $1', [instance.id]);
    expect(rows).toEqual([]);
  });
});

describe('session', () => {
  it('status shows the signed-in user, their identity and permissions', async () => {
    const status = await m.admin.session.status();
    expect(status.jwt).toEqual({ id: expect.any(String) });
    expect(status.identity).toMatchObject({ id: null, provider: null, user: { name: 'Administrator', url: expect.stringContaining('/users/') } });
    expect(status.identity!.user.id).toBe(status.identity!.user_id);
    expect(status.permissions).toMatchObject({ everything: { manage: true } });
    const anonymous = await m.anonymous.session.status();
    expect(anonymous).not.toHaveProperty('identity');
    expect(anonymous).not.toHaveProperty('permissions');
  });

  it('logging out revokes the token', async () => {
    const leo = await m.user('Leo Logout');
    await expect(leo.client.session.logout()).resolves.toEqual({ message: 'Logged out.' });
    await expect(leo.client.session.status()).rejects.toBeInstanceOf(AuthenticationError);
    await expect(m.anonymous.session.logout()).resolves.toEqual({ message: 'Logged out.' });
  });

  it('starting a sign-in needs a provider', async () => {
    const answer = await wire('POST', '/sessions', undefined, {});
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ message: expect.stringMatching(/provider_id/) });
    expect((await wire('POST', '/sessions', undefined, { provider_id: randomUUID() })).status).toBe(404);
  });
});
