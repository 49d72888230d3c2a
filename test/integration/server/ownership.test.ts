/**
 * Ownership is not handed out: the right to create products (or platforms) is the right to
 * create one's own. A record owned by another user, on create, or a record moved to another
 * owner, on update, needs the right to administer users (`users.update`, or everything).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { refusal } from '../../helpers/refusal.js';

const m = useMarketplace();

let editor: TestUser;
let someone: TestUser;
/** Creates products and administers users. */
let userAdmin: TestUser;
/** Creates platforms and reads users (so other users' paths are open to it), nothing more. */
let platformMaker: TestUser;

beforeAll(async () => {
  editor = await m.user('Edna Editor', ['Editor']);
  someone = await m.user('Sam Someone');
  await m.admin.roles.create({ name: 'User administrator', permissions: { users: { read: true, update: true }, products: { create: true, read: true, update: true } } });
  userAdmin = await m.user('Ursula Useradmin', ['User administrator']);
  await m.admin.roles.create({ name: 'Platform maker', permissions: { platforms: { create: true, read: true }, users: { read: true } } });
  platformMaker = await m.user('Pat Platforms', ['Platform maker']);
});

describe('products', () => {
  it('products.create makes products of your own, not of someone else', async () => {
    const name = `Planted ${randomUUID()}`;
    expect(await refusal(editor.client.products.create({ name, user_id: someone.id } as never))).toEqual({
      status: 403,
      message: 'You may not create a product owned by another user: a user_id other than your own needs the users.update permission.',
    });
    expect((await m.admin.products.list({ name } as never)).items).toHaveLength(0);
    await expect(editor.client.products.create({ name, user_id: editor.id } as never)).resolves.toMatchObject({ name, user_id: editor.id });
    await expect(editor.client.products.create({ name: `${name} 2` })).resolves.toMatchObject({ user_id: editor.id });
  });

  it('products.update edits a product but does not move it to another owner, nor take it', async () => {
    const theirs = await m.admin.products.create({ name: `Someone's ${randomUUID()}`, user_id: someone.id } as never);
    const moved = 'You may not change who owns this product: changing user_id needs the users.update permission.';
    expect(await refusal(editor.client.products.update(theirs.id, { user_id: editor.id } as never))).toEqual({ status: 403, message: moved });
    expect(await refusal(editor.client.products.update(theirs.id, { user_id: userAdmin.id } as never))).toEqual({ status: 403, message: moved });
    // The owner may not give it away either; an unchanged owner is no change.
    expect(await refusal(someone.client.products.update(theirs.id, { user_id: editor.id } as never))).toEqual({ status: 403, message: moved });
    await expect(editor.client.products.update(theirs.id, { user_id: someone.id, description: 'edited' } as never)).resolves.toMatchObject({ description: 'edited' });
    expect((await m.admin.products.retrieve(theirs.id)).user_id).toBe(someone.id);
  });

  it('those who administer users create for others and move records between them', async () => {
    const made = await userAdmin.client.products.create({ name: `For Sam ${randomUUID()}`, user_id: someone.id } as never);
    expect(made.user_id).toBe(someone.id);
    await expect(userAdmin.client.products.update(made.id, { user_id: editor.id } as never)).resolves.toMatchObject({ user_id: editor.id });
    await expect(m.admin.products.update(made.id, { user_id: someone.id } as never)).resolves.toMatchObject({ user_id: someone.id });
  });
});

describe('platforms', () => {
  it("a role that creates platforms creates them only under the caller's own user", async () => {
    expect(await refusal(platformMaker.client.platforms.create(someone.id, { name: `Planted ${randomUUID()}` }))).toEqual({
      status: 403,
      message: 'You may not create a platform owned by another user: a user_id other than your own needs the users.update permission.',
    });
    expect((await m.admin.platforms.list(someone.id)).items).toHaveLength(0);
    await expect(platformMaker.client.platforms.create(platformMaker.id, { name: 'Mine' })).resolves.toMatchObject({ user_id: platformMaker.id });
    // Every user manages their own platforms without a role.
    await expect(someone.client.platforms.create(someone.id, { name: 'My own' })).resolves.toMatchObject({ user_id: someone.id });
    await expect(m.admin.platforms.create(editor.id, { name: 'Given by an administrator' })).resolves.toMatchObject({ user_id: editor.id });
  });
});
