import { describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();

describe('products through the SDK', () => {
  it('an administrator creates, reads, updates, publishes and deletes a product', async () => {
    const created = await m.admin.products.create({ name: 'CRUD app', description: 'first', mime_type: 'application/vnd.docker+smart' });
    expect(created).toMatchObject({ name: 'CRUD app', description: 'first', published_at: null, product_licenses: [], screenshots: [] });
    expect(created.url).toBe(`${m.url}/products/${created.id}`);
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    await expect(m.admin.products.retrieve(created.id)).resolves.toMatchObject({ id: created.id });
    await expect(m.admin.products.update(created.id, { description: 'second' })).resolves.toMatchObject({ description: 'second' });
    const deleted = await m.admin.products.delete(created.id);
    expect(deleted?.id).toBe(created.id);
    await expect(m.admin.products.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('owner defaults to the caller; names are unique', async () => {
    const editor = await m.user('Edna Editor', ['Editor']);
    const mine = await editor.client.products.create({ name: 'Edna app' });
    expect(mine.user_id).toBe(editor.id);
    const error = (await editor.client.products.create({ name: 'Edna app' }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.fieldErrors).toEqual({ name: ['has already been taken'] });
  });

  it('anonymous callers cannot write, signed-in callers without permission get 403', async () => {
    await expect(m.anonymous.products.create({ name: 'nope' })).rejects.toBeInstanceOf(AuthenticationError);
    const standard = await m.user('Sam Standard');
    await expect(standard.client.products.create({ name: 'nope' })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('lists page through an envelope', async () => {
    for (let i = 0; i < 5; i++) await m.admin.products.create({ name: `Paged ${i}`, published_at: '2020-01-01T00:00:00Z', visible_at: '2020-01-01T00:00:00Z' });
    const page = await m.anonymous.products.list({ perPage: 2, name: 'Paged' } as never);
    expect(page.totalEntries).toBe(5);
    expect(page.totalPages).toBe(3);
    const names = (await m.anonymous.products.list({ perPage: 2, name: 'Paged' } as never).toArray()).map((p) => p.name);
    expect(names).toEqual(['Paged 0', 'Paged 1', 'Paged 2', 'Paged 3', 'Paged 4']);
  });
});
