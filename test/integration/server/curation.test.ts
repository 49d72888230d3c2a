/**
 * Curation needs the curator's permission (`products.publish`), however it is asked: a
 * product's `published_at` and `visible_at` and a build's `validated_at` are set or changed
 * only by callers holding it, through the publish routes, a PATCH or PUT of the record, a
 * create, or a multipart form. Owners and Editors edit everything else, and may send a record
 * back whole with its curated fields unchanged.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Marketplace, Product } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { refusal } from '../../helpers/refusal.js';

const m = useMarketplace();
const LONG_AGO = '2020-01-01T00:00:00.000Z';
const NEEDS_PUBLISH = 'needs the products.publish permission.';

let owner: TestUser;
let editor: TestUser;
/** May edit products and publish them (no other rights). */
let curator: TestUser;

beforeAll(async () => {
  owner = await m.user('Olga Owner');
  editor = await m.user('Eddie Editor', ['Editor']);
  await m.admin.roles.create({ name: 'Curator', permissions: { products: { read: true, update: true, publish: true } } });
  curator = await m.user('Cleo Curator', ['Curator']);
});

async function ownedProduct(extra: Record<string, unknown> = {}): Promise<Product> {
  return m.admin.products.create({ name: `Curated ${randomUUID()}`, user_id: owner.id, ...extra } as never);
}

describe('publication and visibility', () => {
  it.each([
    ['the owner', () => owner.client],
    ['an Editor', () => editor.client],
  ])('%s may not publish by PATCHing published_at or visible_at', async (_who, client: () => Marketplace) => {
    const product = await ownedProduct();
    expect(await refusal(client().products.update(product.id, { published_at: LONG_AGO }))).toEqual({ status: 403, message: `Changing published_at ${NEEDS_PUBLISH}` });
    expect(await refusal(client().products.update(product.id, { visible_at: LONG_AGO }))).toEqual({ status: 403, message: `Changing visible_at ${NEEDS_PUBLISH}` });
    expect(await refusal(client().products.update(product.id, { published_at: LONG_AGO, visible_at: LONG_AGO, description: 'and more' }))).toEqual({
      status: 403,
      message: `Changing published_at and visible_at ${NEEDS_PUBLISH}`,
    });
    // Nothing of a refused write is kept, and the product stays private.
    expect(await m.admin.products.retrieve(product.id)).toMatchObject({ published_at: null, visible_at: null, description: null });
    expect(await refusal(m.anonymous.products.retrieve(product.id))).toMatchObject({ status: 401 });
  });

  it('nor through the publish route, nor by unpublishing a product the curator published', async () => {
    const product = await ownedProduct();
    expect(await refusal(owner.client.products.publish(product.id))).toMatchObject({ status: 403 });
    expect(await refusal(editor.client.products.publish(product.id))).toMatchObject({ status: 403 });
    const published = await m.admin.products.publish(product.id);
    expect(published.published_at).not.toBeNull();
    expect(await refusal(owner.client.products.update(product.id, { published_at: null }))).toEqual({ status: 403, message: `Changing published_at ${NEEDS_PUBLISH}` });
    expect(await refusal(owner.client.products.unpublish(product.id))).toMatchObject({ status: 403 });
    expect((await m.anonymous.products.retrieve(product.id)).published_at).toBe(published.published_at);
  });

  it('an Editor may not create a product already published', async () => {
    const name = `Born published ${randomUUID()}`;
    expect(await refusal(editor.client.products.create({ name, published_at: LONG_AGO, visible_at: LONG_AGO }))).toEqual({
      status: 403,
      message: `Setting published_at and visible_at ${NEEDS_PUBLISH}`,
    });
    expect((await m.admin.products.list({ name } as never)).items).toHaveLength(0);
    // Saying "not published" is no curation.
    await expect(editor.client.products.create({ name, published_at: null, visible_at: null })).resolves.toMatchObject({ name, published_at: null });
  });

  it('a multipart form is no way around it', async () => {
    const product = await ownedProduct();
    const form = new FormData();
    form.append('product[published_at]', LONG_AGO);
    form.append('product[visible_at]', LONG_AGO);
    const res = await fetch(`${m.url}/products/${product.id}`, { method: 'PATCH', headers: { accept: 'application/json', authorization: `Bearer ${owner.token}` }, body: form });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toBe(`Changing published_at and visible_at ${NEEDS_PUBLISH}`);
  });

  it('a record sent back whole, curated fields unchanged, is an ordinary edit', async () => {
    const product = await ownedProduct();
    // Published by the curator just now: a time with microseconds in the database.
    const published = await curator.client.products.publish(product.id);
    const mine = await owner.client.products.retrieve(product.id);
    const res = await fetch(`${m.url}/products/${product.id}`, {
      method: 'PUT',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({ product: { ...mine, description: 'Edited by its owner.' } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ description: 'Edited by its owner.', published_at: published.published_at, visible_at: published.visible_at });
  });

  it('holders of products.publish set and clear them on any route', async () => {
    const product = await ownedProduct();
    await expect(curator.client.products.update(product.id, { published_at: LONG_AGO, visible_at: LONG_AGO })).resolves.toMatchObject({ published_at: LONG_AGO, visible_at: LONG_AGO });
    expect((await m.anonymous.products.retrieve(product.id)).id).toBe(product.id);
    await expect(curator.client.products.update(product.id, { visible_at: null })).resolves.toMatchObject({ visible_at: null });
    await expect(m.admin.products.create({ name: `Admin published ${randomUUID()}`, published_at: LONG_AGO, visible_at: LONG_AGO })).resolves.toMatchObject({ published_at: LONG_AGO });
  });
});

describe('build validation', () => {
  it("is the curator's: owners may not set validated_at, on create or update", async () => {
    const product = await ownedProduct();
    expect(await refusal(owner.client.builds.create(product.id, { version: '1.0.0', validated_at: LONG_AGO }))).toEqual({
      status: 403,
      message: `Setting validated_at ${NEEDS_PUBLISH}`,
    });
    const build = await owner.client.builds.create(product.id, { version: '1.0.0', release_notes: 'first' });
    expect(await refusal(owner.client.builds.update(product.id, build.id, { validated_at: LONG_AGO }))).toEqual({
      status: 403,
      message: `Changing validated_at ${NEEDS_PUBLISH}`,
    });
    // The curator validates; the owner's later edits leave the validation alone.
    await m.admin.roles.create({ name: 'Build validator', permissions: { builds: { update: true }, products: { read: true, publish: true } } });
    const validator = await m.user('Val Validator', ['Build validator']);
    await expect(validator.client.builds.update(product.id, build.id, { validated_at: LONG_AGO })).resolves.toMatchObject({ validated_at: LONG_AGO });
    const back = await owner.client.builds.retrieve(product.id, build.id);
    await expect(owner.client.builds.update(product.id, build.id, { ...back, release_notes: 'second' } as never)).resolves.toMatchObject({
      release_notes: 'second',
      validated_at: LONG_AGO,
    });
  });
});
