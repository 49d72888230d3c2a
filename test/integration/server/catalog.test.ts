/**
 * The catalogue through the SDK against a real server: licences, product licences, builds and
 * their parts, screenshots, families, badges, interfaces, entitlements and their relatives,
 * publishing, search and files.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
  type Marketplace,
  type Product,
} from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
const LONG_AGO = '2020-01-01T00:00:00.000Z';

let counter = 0;
/** A product with a unique name; published unless asked otherwise. */
async function product(client: Marketplace = m.admin, extra: Partial<Product> = {}): Promise<Product> {
  const published = { published_at: LONG_AGO, visible_at: LONG_AGO };
  return client.products.create({ name: `Catalogue product ${++counter} ${randomUUID().slice(0, 8)}`, ...published, ...extra } as never);
}

/** The error a call rejects with. */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

async function fieldErrors(call: Promise<unknown>): Promise<Record<string, string[]>> {
  const error = await failure(call);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).fieldErrors;
}

async function mitLicenseId(): Promise<string> {
  const page = await m.admin.licenses.list({ name: 'MIT' } as never);
  return page.items.find((l) => l.name === 'MIT')!.id;
}

describe('licenses', () => {
  it('are public to read and managed by administrators', async () => {
    const created = await m.admin.licenses.create({
      name: 'Vendor Terms 1',
      url: 'https://example.com/terms/1',
      expiry: 'relative_date',
      days_valid: 30,
      uses: 5,
      description: 'Thirty days.',
    });
    expect(created).toMatchObject({ name: 'Vendor Terms 1', url: 'https://example.com/terms/1', expiry: 'relative_date', days_valid: 30, uses: 5 });
    // `url` is the licence text; the record links itself by `path`.
    expect(created.path).toBe(`/licenses/${created.id}`);

    await expect(m.anonymous.licenses.retrieve(created.id)).resolves.toMatchObject({ id: created.id });
    const seeded = (await m.anonymous.licenses.list().toArray()).map((l) => l.name);
    expect(seeded).toEqual(expect.arrayContaining(['MIT', 'Apache 2.0', 'CC0 1.0']));

    await expect(m.admin.licenses.update(created.id, { uses: 0, expiry: 'indefinite' })).resolves.toMatchObject({ uses: 0, expiry: 'indefinite' });
    expect(await fieldErrors(m.admin.licenses.update(created.id, { days_valid: -1 }))).toEqual({ days_valid: ['must be greater than or equal to 0'] });
    expect(await fieldErrors(m.admin.licenses.create({ name: 'Vendor Terms 2', url: 'https://example.com/terms/1' }))).toEqual({ url: ['has already been taken'] });

    const standard = await m.user('Lena Licensee');
    await expect(standard.client.licenses.create({ name: 'Mine', url: 'https://example.com/mine' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.licenses.delete(created.id)).rejects.toBeInstanceOf(AuthenticationError);

    await expect(m.admin.licenses.delete(created.id)).resolves.toMatchObject({ id: created.id });
    await expect(m.admin.licenses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuse an unknown expiry with a 422 naming the field', async () => {
    const res = await fetch(`${m.url}/licenses`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${m.server.adminToken}` },
      body: JSON.stringify({ license: { name: 'Odd', url: 'https://example.com/odd', expiry: 'someday' } }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ expiry: ['must be one of: indefinite, relative_date, absolute_date'] });
  });
});

describe('product licenses', () => {
  it('offer a product under each licence once', async () => {
    const p = await product();
    const mit = await mitLicenseId();
    const offer = await m.admin.productLicenses.create(p.id, { license_id: mit, external_id: 'SKU-1' });
    expect(offer).toMatchObject({ product_id: p.id, license_id: mit, external_id: 'SKU-1', path: `/products/${p.id}/licenses/${offer.id}` });

    expect(await fieldErrors(m.admin.productLicenses.create(p.id, { license_id: mit }))).toEqual({ license_id: ['has already been taken'] });
    expect(await fieldErrors(m.admin.productLicenses.create(p.id, { license_id: randomUUID() }))).toEqual({ license_id: ['must exist'] });

    const list = await m.anonymous.productLicenses.list(p.id);
    expect(list.items.map((l) => l.id)).toEqual([offer.id]);
    expect(list.totalEntries).toBe(1);
    await expect(m.admin.productLicenses.update(p.id, offer.id, { external_id: 'SKU-2' })).resolves.toMatchObject({ external_id: 'SKU-2' });
    expect((await m.anonymous.products.retrieve(p.id)).product_licenses?.map((l) => l.id)).toEqual([offer.id]);

    await expect(m.admin.productLicenses.delete(p.id, offer.id)).resolves.toMatchObject({ id: offer.id });
    expect((await m.admin.productLicenses.list(p.id)).items).toEqual([]);
  });

  it('are scoped to the product in the URL', async () => {
    const [a, b] = [await product(), await product()];
    const offer = await m.admin.productLicenses.create(a.id, { license_id: await mitLicenseId() });
    await expect(m.admin.productLicenses.retrieve(b.id, offer.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await m.admin.productLicenses.list(b.id)).items).toEqual([]);
  });
});

describe('builds', () => {
  it('CRUD with permissions as an object, a read-only published_at and unique versions', async () => {
    const p = await product();
    const build = await m.admin.builds.create(p.id, {
      version: '1.0.0',
      container_repository: 'example/app',
      container_tag: 'v1.0.0',
      permissions: { network: true, ports: [8080] },
      release_notes: 'First.',
    });
    expect(build).toMatchObject({
      product_id: p.id,
      version: '1.0.0',
      permissions: { network: true, ports: [8080] },
      published_at: null,
      asset_available: false,
      path: `/products/${p.id}/builds/${build.id}`,
      url: `${m.url}/products/${p.id}/builds/${build.id}`,
    });

    await expect(m.admin.builds.update(p.id, build.id, { published_at: LONG_AGO } as never)).resolves.toMatchObject({ published_at: null });
    expect(await fieldErrors(m.admin.builds.create(p.id, { version: '1.0.0' }))).toEqual({ version: ['has already been taken'] });
    expect(await fieldErrors(m.admin.builds.update(p.id, build.id, { validated_at: 'yesterday' }))).toEqual({ validated_at: ['must be an ISO 8601 date and time'] });

    await m.admin.builds.create(p.id, { version: '2.0.0' });
    const descending = await m.anonymous.builds.list(p.id, { sort: 'version', order: 'desc' });
    expect(descending.items.map((b) => b.version)).toEqual(['2.0.0', '1.0.0']);
    await expect(m.anonymous.builds.retrieve(p.id, build.id)).resolves.toMatchObject({ permissions: { network: true, ports: [8080] } });

    await expect(m.admin.builds.delete(p.id, build.id)).resolves.toMatchObject({ id: build.id });
    await expect(m.admin.builds.retrieve(p.id, build.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('upload and download an asset', async () => {
    const p = await product();
    const build = await m.admin.builds.create(p.id, { version: '1.0.0' });
    await expect(m.admin.builds.downloadAsset(p.id, build.id)).rejects.toBeInstanceOf(NotFoundError);

    const bytes = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5]);
    const updated = await m.admin.builds.uploadAsset(p.id, build.id, { data: bytes, filename: 'app-1.0.0.tgz' });
    expect(updated).toMatchObject({ id: build.id, asset_available: true, version: '1.0.0' });

    const file = await m.anonymous.builds.downloadAsset(p.id, build.id);
    expect(file.contentType).toBe('application/gzip');
    expect(file.filename).toBe('app-1.0.0.tgz');
    expect(await file.bytes()).toEqual(bytes);

    const res = await fetch(`${m.url}/products/${p.id}/builds/${build.id}/asset`, { headers: { accept: 'application/json' } });
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="app-1.0.0.tgz"');
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
  });

  it('follow their product: the owner manages them, others read them once published', async () => {
    const owner = await m.user('Olga Owner', ['Editor']);
    const stranger = await m.user('Stan Stranger', ['Editor']);
    const hidden = await owner.client.products.create({ name: `Owned ${randomUUID()}` });
    const build = await owner.client.builds.create(hidden.id, { version: '0.1.0' });

    await expect(m.anonymous.builds.list(hidden.id)).rejects.toBeInstanceOf(AuthenticationError);
    // Editors hold `products.read`, so they see unpublished products and their builds, but cannot change them.
    await expect(stranger.client.builds.retrieve(hidden.id, build.id)).resolves.toMatchObject({ id: build.id });
    await expect(stranger.client.builds.create(hidden.id, { version: '0.2.0' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(stranger.client.builds.update(hidden.id, build.id, { release_notes: 'mine' })).rejects.toBeInstanceOf(PermissionDeniedError);
    const plain = await m.user('Pat Plain');
    await expect(plain.client.builds.retrieve(hidden.id, build.id)).rejects.toBeInstanceOf(PermissionDeniedError);

    await m.admin.products.publish(hidden.id);
    await expect(m.anonymous.builds.retrieve(hidden.id, build.id)).resolves.toMatchObject({ id: build.id });
    await expect(plain.client.builds.delete(hidden.id, build.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(owner.client.builds.delete(hidden.id, build.id)).resolves.toMatchObject({ id: build.id });
  });
});

describe('interfaces and surrogates', () => {
  it('CRUD, with surrogate lists scoped to their interface', async () => {
    const fhir = await m.admin.interfaces.create({ name: 'FHIR R4 (test)', uri: 'http://hl7.org/fhir/R4/test', version: '4.0.1', ordinal: 1 });
    const fhir5 = await m.admin.interfaces.create({ name: 'FHIR R5 (test)', uri: 'http://hl7.org/fhir/R5/test', version: '5.0.0' });
    const other = await m.admin.interfaces.create({ name: 'CDS Hooks (test)', uri: 'https://cds-hooks.org/test', version: '1.0' });
    expect(fhir).toMatchObject({ ordinal: 1, path: `/interfaces/${fhir.id}` });
    expect(await fieldErrors(m.admin.interfaces.create({ name: 'FHIR R4 (test)', uri: 'x:y', version: '1' }))).toEqual({ name: ['has already been taken'] });
    await expect(m.anonymous.interfaces.retrieve(fhir.id)).resolves.toMatchObject({ name: 'FHIR R4 (test)' });
    await expect(m.admin.interfaces.update(fhir.id, { ordinal: 2 })).resolves.toMatchObject({ ordinal: 2 });

    const surrogate = await m.admin.surrogates.create(fhir.id, { substitute_id: fhir5.id });
    expect(surrogate).toMatchObject({ interface_id: fhir.id, substitute_id: fhir5.id, path: `/interfaces/${fhir.id}/surrogates/${surrogate.id}` });
    await m.admin.surrogates.create(other.id, { substitute_id: fhir.id });
    expect((await m.anonymous.surrogates.list(fhir.id)).items.map((s) => s.id)).toEqual([surrogate.id]);
    expect(await fieldErrors(m.admin.surrogates.create(fhir.id, { substitute_id: fhir.id }))).toEqual({ substitute_id: ["can't be the interface itself"] });
    await expect(m.anonymous.surrogates.create(fhir.id, { substitute_id: other.id })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(m.admin.surrogates.retrieve(fhir.id, surrogate.id)).resolves.toMatchObject({ id: surrogate.id });
    await expect(m.admin.surrogates.retrieve(other.id, surrogate.id)).rejects.toBeInstanceOf(NotFoundError);

    await expect(m.admin.surrogates.delete(fhir.id, surrogate.id)).resolves.toBeNull();
    await expect(m.admin.interfaces.delete(other.id)).resolves.toBeNull();
    await expect(m.admin.interfaces.retrieve(other.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('build parts', () => {
  let p: Product;
  let buildId: string;
  let otherBuildId: string;
  let interfaceId: string;
  beforeAll(async () => {
    p = await product();
    buildId = (await m.admin.builds.create(p.id, { version: '1.0.0' })).id;
    otherBuildId = (await m.admin.builds.create(p.id, { version: '2.0.0' })).id;
    interfaceId = (await m.admin.interfaces.create({ name: `Parts interface ${randomUUID()}`, uri: `urn:uuid:${randomUUID()}`, version: '1' })).id;
  });

  it('dependencies: CRUD, mappings as an object, lists scoped to the build, 204 deletes', async () => {
    const dependency = await m.admin.dependencies.create(p.id, buildId, { interface_id: interfaceId, required: false, mappings: { FHIR_URL: 'BASE_URL' } });
    expect(dependency).toMatchObject({ build_id: buildId, interface_id: interfaceId, required: false, mappings: { FHIR_URL: 'BASE_URL' } });
    expect(dependency.url).toBe(`${m.url}/products/${p.id}/builds/${buildId}/dependencies/${dependency.id}`);
    await m.admin.dependencies.create(p.id, otherBuildId, { interface_id: interfaceId });

    expect((await m.anonymous.dependencies.list(p.id, buildId)).items.map((d) => d.id)).toEqual([dependency.id]);
    await expect(m.anonymous.dependencies.retrieve(p.id, buildId, dependency.id)).resolves.toMatchObject({ id: dependency.id });
    await expect(m.anonymous.dependencies.retrieve(p.id, otherBuildId, dependency.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(m.admin.dependencies.update(p.id, buildId, dependency.id, { required: true })).resolves.toMatchObject({ required: true });
    expect(await fieldErrors(m.admin.dependencies.create(p.id, buildId, { interface_id: randomUUID() }))).toEqual({ interface_id: ['must exist'] });
    await expect(m.admin.dependencies.delete(p.id, buildId, dependency.id)).resolves.toBeNull();
    expect((await m.admin.dependencies.list(p.id, buildId)).items).toEqual([]);
  });

  it('exposures and their parameters', async () => {
    const exposure = await m.admin.exposures.create(p.id, buildId, { interface_id: interfaceId });
    expect(exposure).toMatchObject({ build_id: buildId, interface_id: interfaceId });
    await m.admin.exposures.create(p.id, otherBuildId, { interface_id: interfaceId });
    expect((await m.anonymous.exposures.list(p.id, buildId)).items.map((e) => e.id)).toEqual([exposure.id]);
    await expect(m.anonymous.exposures.retrieve(p.id, buildId, exposure.id)).resolves.toMatchObject({ id: exposure.id });

    const parameter = await m.admin.parameters.create(p.id, buildId, exposure.id, { name: 'FHIR_BASE_URL', required: true });
    expect(parameter).toMatchObject({ exposure_id: exposure.id, name: 'FHIR_BASE_URL', required: true });
    expect(parameter.path).toBe(`/products/${p.id}/builds/${buildId}/exposures/${exposure.id}/parameters/${parameter.id}`);
    expect((await m.anonymous.parameters.list(p.id, buildId, exposure.id)).items.map((x) => x.id)).toEqual([parameter.id]);
    await expect(m.admin.parameters.update(p.id, buildId, exposure.id, parameter.id, { required: false })).resolves.toMatchObject({ required: false });
    await expect(m.anonymous.parameters.retrieve(p.id, otherBuildId, exposure.id, parameter.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(m.admin.parameters.delete(p.id, buildId, exposure.id, parameter.id)).resolves.toBeNull();

    await expect(m.admin.exposures.update(p.id, buildId, exposure.id, { interface_id: interfaceId })).resolves.toMatchObject({ id: exposure.id });
    await expect(m.admin.exposures.delete(p.id, buildId, exposure.id)).resolves.toBeNull();
  });

  it('configurations and their tasks, with the specification fields', async () => {
    const configuration = await m.admin.configurations.create(p.id, buildId, { name: 'default' });
    expect(configuration).toMatchObject({ build_id: buildId, name: 'default' });
    expect(await fieldErrors(m.admin.configurations.create(p.id, buildId, { name: 'default' }))).toEqual({ name: ['has already been taken'] });
    await m.admin.configurations.create(p.id, otherBuildId, { name: 'default' });
    expect((await m.anonymous.configurations.list(p.id, buildId)).items.map((c) => c.id)).toEqual([configuration.id]);
    await expect(m.admin.configurations.update(p.id, buildId, configuration.id, { name: 'production' })).resolves.toMatchObject({ name: 'production' });

    const task = await m.admin.tasks.create(p.id, buildId, configuration.id, {
      name: 'web',
      minimum: 1,
      maximum: 3,
      memory: 512,
      label: 'Web server',
      options: ['--mode', 'production'],
      ports: [8080],
      cron: '0 0 * * *',
      environment: [{ key: 'FHIR_URL', description: 'FHIR server', required: true }],
    });
    expect(task).toMatchObject({
      configuration_id: configuration.id,
      name: 'web',
      minimum: 1,
      maximum: 3,
      memory: 512,
      label: 'Web server',
      options: ['--mode', 'production'],
      ports: [8080],
      cron: '0 0 * * *',
      environment: [{ key: 'FHIR_URL', description: 'FHIR server', required: true }],
    });
    const worker = await m.admin.tasks.create(p.id, buildId, configuration.id, { name: 'worker' });
    expect(worker).toMatchObject({ minimum: 0, maximum: 0, memory: 1024 });
    expect((await m.anonymous.tasks.list(p.id, buildId, configuration.id)).items.map((t) => t.name)).toEqual(['web', 'worker']);
    expect(await fieldErrors(m.admin.tasks.update(p.id, buildId, configuration.id, task.id, { memory: -1 }))).toEqual({ memory: ['must be greater than or equal to 0'] });
    await expect(m.admin.tasks.update(p.id, buildId, configuration.id, task.id, { maximum: 5 })).resolves.toMatchObject({ maximum: 5 });
    await expect(m.admin.tasks.retrieve(p.id, buildId, configuration.id, task.id)).resolves.toMatchObject({ maximum: 5 });
    await expect(m.admin.tasks.delete(p.id, buildId, configuration.id, task.id)).resolves.toBeNull();
    await expect(m.admin.configurations.delete(p.id, buildId, configuration.id)).resolves.toBeNull();
    await expect(m.admin.tasks.retrieve(p.id, buildId, configuration.id, worker.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('screenshots', () => {
  it('with an image: upload, render, download, replace and delete', async () => {
    const p = await product();
    const shot = await m.admin.screenshots.create(p.id, { caption: 'Home', image: new File([PNG], 'home.png', { type: 'image/png' }) });
    expect(shot).toMatchObject({ product_id: p.id, caption: 'Home', image_file_name: 'home.png', image_content_type: 'image/png', image_file_size: PNG.length });
    expect(shot.image_updated_at).toMatch(/Z$/);

    for (const size of ['large', 'medium', 'small'] as const) {
      const file = await m.anonymous.screenshots.image(p.id, shot.id, size);
      expect(file.contentType).toBe('image/png');
      expect(file.filename).toBe('home.png');
      expect(await file.bytes()).toEqual(PNG);
    }
    expect((await m.anonymous.products.retrieve(p.id)).screenshots).toEqual([expect.objectContaining({ id: shot.id, image_file_name: 'home.png' })]);
    expect((await m.anonymous.screenshots.list(p.id)).items.map((s) => s.id)).toEqual([shot.id]);

    // Raw bytes with no type are recognised by their signature.
    const replaced = await m.admin.screenshots.update(p.id, shot.id, { caption: 'Start', image: PNG });
    expect(replaced).toMatchObject({ caption: 'Start', image_content_type: 'image/png', image_file_name: 'image' });

    const text = new Blob(['not an image'], { type: 'text/plain' });
    expect(await fieldErrors(m.admin.screenshots.update(p.id, shot.id, { image: text }))).toEqual({ image: ['must be an image (PNG, JPEG, GIF, WebP or SVG)'] });
    expect(await fieldErrors(m.admin.screenshots.create(p.id, { caption: 'Start', image: PNG }))).toEqual({ caption: ['has already been taken'] });

    await expect(m.admin.screenshots.delete(p.id, shot.id)).resolves.toMatchObject({ id: shot.id });
    await expect(m.anonymous.screenshots.image(p.id, shot.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('without an image: a JSON create, and a 404 with a sentence for the image', async () => {
    const p = await product();
    const shot = await m.admin.screenshots.create(p.id, { caption: 'Plain' });
    expect(shot).toMatchObject({ caption: 'Plain', image_file_name: null });
    const res = await fetch(`${m.url}/products/${p.id}/screenshots/${shot.id}/large`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'The screenshot "Plain" has no image.' });
    const huge = await fetch(`${m.url}/products/${p.id}/screenshots/${shot.id}/huge`, { headers: { accept: 'application/json' } });
    expect(huge.status).toBe(404);
  });
});

describe('product families', () => {
  it('sub products link parents and children', async () => {
    const [suite, part, other] = [await product(), await product(), await product()];
    const link = await m.admin.subProducts.create({ parent_id: suite.id, child_id: part.id });
    expect(link).toMatchObject({ parent_id: suite.id, child_id: part.id, path: `/sub_products/${link.id}` });
    await m.admin.subProducts.create({ parent_id: other.id, child_id: suite.id });

    expect((await m.anonymous.products.children(suite.id)).items.map((p) => p.id)).toEqual([part.id]);
    expect((await m.anonymous.products.parents(suite.id)).items.map((p) => p.id)).toEqual([other.id]);
    expect((await m.anonymous.products.parents(part.id)).items.map((p) => p.id)).toEqual([suite.id]);
    expect((await m.anonymous.subProducts.list().toArray()).map((s) => s.id)).toEqual(expect.arrayContaining([link.id]));

    expect(await fieldErrors(m.admin.subProducts.create({ parent_id: suite.id, child_id: part.id }))).toEqual({ child_id: ['has already been taken'] });
    expect(await fieldErrors(m.admin.subProducts.create({ parent_id: part.id, child_id: part.id }))).toEqual({ child_id: ["can't be the parent itself"] });
    await expect(m.admin.subProducts.update(link.id, { child_id: other.id })).resolves.toMatchObject({ child_id: other.id });
    await expect(m.admin.subProducts.retrieve(link.id)).resolves.toMatchObject({ child_id: other.id });
    await expect(m.admin.subProducts.delete(link.id)).resolves.toBeNull();
    expect((await m.anonymous.products.children(suite.id)).items).toEqual([]);
  });

  it("children of an unpublished product are not anyone's business", async () => {
    const hidden = await product(m.admin, { published_at: null, visible_at: null });
    await expect(m.anonymous.products.children(hidden.id)).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('badges', () => {
  it('CRUD as bare arrays with 204 deletes', async () => {
    const badge = await m.admin.badges.create({ name: 'Certified (test)', description: 'Passed.' });
    expect(badge).toMatchObject({ name: 'Certified (test)', description: 'Passed.', url: `${m.url}/badges/${badge.id}` });
    expect((await m.anonymous.badges.list()).items.map((b) => b.id)).toContain(badge.id);
    await expect(m.admin.badges.update(badge.id, { description: 'Passed twice.' })).resolves.toMatchObject({ description: 'Passed twice.' });
    await expect(m.anonymous.badges.retrieve(badge.id)).resolves.toMatchObject({ description: 'Passed twice.' });
    const editor = await m.user('Ed Badger', ['Editor']);
    await expect(editor.client.badges.create({ name: 'Self-awarded' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.admin.badges.delete(badge.id)).resolves.toBeNull();
  });
});

describe('entitlements, claims, vouchers and attempts', () => {
  let publisher: TestUser;
  let holder: TestUser;
  let stranger: TestUser;
  let p: Product;
  let offerId: string;
  beforeAll(async () => {
    publisher = await m.user('Paula Publisher', ['Editor']);
    holder = await m.user('Hank Holder');
    stranger = await m.user('Sid Stranger');
    p = await publisher.client.products.create({ name: `Licensed ${randomUUID()}` });
    offerId = (await publisher.client.productLicenses.create(p.id, { license_id: await mitLicenseId() })).id;
  });

  it('entitlements: the publisher grants, the holder reads, others see nothing', async () => {
    const entitlement = await publisher.client.entitlements.create({ user_id: holder.id, product_license_id: offerId, valid_from: '2024-05-01T12:00:00+02:00' });
    expect(entitlement).toMatchObject({ user_id: holder.id, product_license_id: offerId, valid_from: '2024-05-01T10:00:00.000Z' });

    await expect(holder.client.entitlements.retrieve(entitlement.id)).resolves.toMatchObject({ id: entitlement.id });
    expect((await holder.client.entitlements.list()).items.map((e) => e.id)).toEqual([entitlement.id]);
    expect((await stranger.client.entitlements.list()).items).toEqual([]);
    await expect(stranger.client.entitlements.retrieve(entitlement.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    // Holding an entitlement is not a licence to print more of them.
    await expect(holder.client.entitlements.create({ user_id: holder.id, product_license_id: offerId })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.entitlements.list()).rejects.toBeInstanceOf(AuthenticationError);

    await expect(publisher.client.entitlements.update(entitlement.id, { valid_from: null })).resolves.toMatchObject({ valid_from: null });
    await expect(publisher.client.entitlements.delete(entitlement.id)).resolves.toBeNull();
  });

  it('claims: scoped to their entitlement, claimant must exist', async () => {
    const entitlement = await publisher.client.entitlements.create({ user_id: holder.id, product_license_id: offerId });
    const claim = await publisher.client.claims.create(entitlement.id, { claimant_id: holder.id, claimant_type: 'User' });
    expect(claim).toMatchObject({ entitlement_id: entitlement.id, claimant_id: holder.id, claimant_type: 'User', authorization_count: 0 });
    expect(claim.path).toBe(`/entitlements/${entitlement.id}/claims/${claim.id}`);

    expect(await fieldErrors(publisher.client.claims.create(entitlement.id, { claimant_id: randomUUID(), claimant_type: 'User' }))).toEqual({ claimant_id: ['must exist'] });
    expect(await fieldErrors(publisher.client.claims.create(entitlement.id, { claimant_id: holder.id, claimant_type: 'Robot' as never }))).toEqual({
      claimant_type: ['must be one of: User, Group'],
    });
    expect((await holder.client.claims.list(entitlement.id)).items.map((c) => c.id)).toEqual([claim.id]);
    await expect(stranger.client.claims.list(entitlement.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(holder.client.claims.update(entitlement.id, claim.id, { authorization_count: 9 })).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(publisher.client.claims.update(entitlement.id, claim.id, { authorization_count: 1 })).resolves.toMatchObject({ authorization_count: 1 });
    await expect(publisher.client.claims.retrieve(entitlement.id, claim.id)).resolves.toMatchObject({ authorization_count: 1 });
    await expect(publisher.client.claims.delete(entitlement.id, claim.id)).resolves.toBeNull();
  });

  it('vouchers: codes are unique and managed by the publisher', async () => {
    const voucher = await publisher.client.vouchers.create({ product_license_id: offerId, code: 'WELCOME-1', expires_at: '2030-01-01T00:00:00Z' });
    expect(voucher).toMatchObject({ product_license_id: offerId, code: 'WELCOME-1', expires_at: '2030-01-01T00:00:00.000Z', entitlement_id: null });
    expect(await fieldErrors(publisher.client.vouchers.create({ product_license_id: offerId, code: 'WELCOME-1' }))).toEqual({ code: ['has already been taken'] });
    expect((await publisher.client.vouchers.list()).items.map((v) => v.id)).toEqual([voucher.id]);
    await expect(stranger.client.vouchers.retrieve(voucher.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(publisher.client.vouchers.update(voucher.id, { redeemed_by: holder.id, redeemed_at: '2025-01-01T00:00:00Z' })).resolves.toMatchObject({ redeemed_by: holder.id });
    await expect(holder.client.vouchers.retrieve(voucher.id)).resolves.toMatchObject({ code: 'WELCOME-1' });
    await expect(publisher.client.vouchers.delete(voucher.id)).resolves.toBeNull();
  });

  it('vouchers: of racing redemptions exactly one wins; clearing redeemed_at makes it redeemable again', async () => {
    const voucher = await publisher.client.vouchers.create({ product_license_id: offerId, code: `RACE-${randomUUID()}` });
    const redeemers = await Promise.all(['Rae One', 'Rae Two', 'Rae Three', 'Rae Four', 'Rae Five'].map((name) => m.user(name)));
    const outcomes = await Promise.allSettled(redeemers.map((user) => publisher.client.vouchers.update(voucher.id, { redeemed_at: new Date().toISOString(), redeemed_by: user.id })));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of outcomes.filter((o) => o.status === 'rejected')) {
      expect(lost.reason).toMatchObject({ status: 409, message: expect.stringContaining('The voucher has already been redeemed.') as unknown });
    }
    const stored = await publisher.client.vouchers.retrieve(voucher.id);
    expect(stored.redeemed_by).toBe((won[0] as PromiseFulfilledResult<{ redeemed_by: string }>).value.redeemed_by);

    // Other fields stay editable, and a cleared voucher can be redeemed again.
    await expect(publisher.client.vouchers.update(voucher.id, { expires_at: '2031-01-01T00:00:00Z' })).resolves.toMatchObject({ redeemed_by: stored.redeemed_by });
    await publisher.client.vouchers.update(voucher.id, { redeemed_at: null, redeemed_by: null });
    await expect(publisher.client.vouchers.update(voucher.id, { redeemed_at: '2026-01-01T00:00:00Z', redeemed_by: holder.id })).resolves.toMatchObject({ redeemed_by: holder.id });
  });

  it('attempts: written by administrators, read newest first by the product owner', async () => {
    const first = await m.admin.attempts.create({ product_id: p.id, claimant_id: holder.id, claimant_type: 'User' });
    const second = await m.admin.attempts.create({ product_id: p.id, claimant_id: holder.id, claimant_type: 'User' });
    expect(first).toMatchObject({ product_id: p.id, claim_id: null, path: `/attempts/${first.id}` });
    await expect(publisher.client.attempts.create({ product_id: p.id })).rejects.toBeInstanceOf(PermissionDeniedError);

    expect((await publisher.client.attempts.list({ product_id: p.id })).items.map((a) => a.id)).toEqual([second.id, first.id]);
    expect((await publisher.client.attempts.list({ product_id: p.id, order: 'asc' })).items.map((a) => a.id)).toEqual([first.id, second.id]);
    expect((await stranger.client.attempts.list()).items).toEqual([]);
    await expect(publisher.client.attempts.retrieve(first.id)).resolves.toMatchObject({ id: first.id });
    await expect(m.admin.attempts.update(first.id, { claimant_type: 'Group' })).resolves.toMatchObject({ claimant_type: 'Group' });
    await expect(m.admin.attempts.delete(first.id)).resolves.toBeNull();
  });
});

describe('publishing', () => {
  it('publish sets published_at and visible_at; unpublish clears published_at', async () => {
    const p = await product(m.admin, { published_at: null, visible_at: null });
    await expect(m.anonymous.products.retrieve(p.id)).rejects.toBeInstanceOf(AuthenticationError);

    const published = await m.admin.products.publish(p.id);
    expect(published.published_at).toMatch(/Z$/);
    expect(published.visible_at).toMatch(/Z$/);
    await expect(m.anonymous.products.retrieve(p.id)).resolves.toMatchObject({ id: p.id });
    // Publishing again keeps the first date.
    expect((await m.admin.products.publish(p.id)).published_at).toBe(published.published_at);

    const unpublished = await m.admin.products.unpublish(p.id);
    expect(unpublished).toMatchObject({ published_at: null, visible_at: published.visible_at });
    await expect(m.anonymous.products.retrieve(p.id)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('needs products.publish: not owners, not editors, not anonymous callers', async () => {
    const editor = await m.user('Eve Editor', ['Editor']);
    const mine = await editor.client.products.create({ name: `Eve's ${randomUUID()}` });
    await expect(editor.client.products.publish(mine.id)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.products.publish(mine.id)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(m.admin.products.publish(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('the published filter lists either side', async () => {
    const hidden = await product(m.admin, { published_at: null, visible_at: null, description: 'publish-filter' } as never);
    const shown = await product(m.admin, { description: 'publish-filter' } as never);
    const list = async (published: boolean) =>
      (await m.admin.products.list({ published, description: 'publish-filter' } as never).toArray()).map((p) => p.id);
    expect(await list(true)).toEqual([shown.id]);
    expect(await list(false)).toEqual([hidden.id]);
  });
});

describe('search', () => {
  beforeAll(async () => {
    const published = { published_at: LONG_AGO, visible_at: LONG_AGO };
    await m.admin.products.create({ name: 'Zyx CQL Translation Service', description: 'Turns CQL into ELM.', mime_type: 'application/vnd.docker+fhir', ...published });
    await m.admin.products.create({ name: 'Zyx Bilirubin Chart', description: 'A SMART app for newborn translation of values.', mime_type: 'application/vnd.docker+smart', ...published });
    await m.admin.products.create({ name: 'Zyx Hidden Translator', description: 'Not published.' });
  });

  it('matches word prefixes in name or description, every word, case-insensitively', async () => {
    const names = async (client: Marketplace, text: string, extra = {}) => (await client.products.search({ text, ...extra }).toArray()).map((p) => p.name);
    expect(await names(m.anonymous, 'zyx transl')).toEqual(['Zyx CQL Translation Service', 'Zyx Bilirubin Chart']);
    expect(await names(m.anonymous, 'ZYX SMART')).toEqual(['Zyx Bilirubin Chart']);
    expect(await names(m.anonymous, 'zyx ranslation')).toEqual([]);
    expect(await names(m.anonymous, 'zyx transl', { mime_type: 'application/vnd.docker+smart' })).toEqual(['Zyx Bilirubin Chart']);
    expect(await names(m.anonymous, 'zyx transl', { mime_type: ['application/vnd.docker+smart', 'application/vnd.docker+fhir'] })).toHaveLength(2);
    // Administrators read unpublished products, so they find them too.
    expect(await names(m.admin, 'zyx translat')).toEqual(['Zyx CQL Translation Service', 'Zyx Hidden Translator', 'Zyx Bilirubin Chart']);
    // Punctuation is not a word: nothing to escape, nothing to inject.
    expect(await names(m.anonymous, "zyx' OR 1=1 -- (.*)")).toEqual([]);
  });

  it('takes its parameters from the query string too, and pages', async () => {
    const res = await fetch(`${m.url}/products/search?text=zyx&per_page=1&page=2`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total_entries: number; current_page: number; results: { name: string }[] };
    expect(body).toMatchObject({ total_entries: 2, total_pages: 2, current_page: 2, previous_page: 1, next_page: null });
    expect(body.results).toHaveLength(1);
  });
});

describe('logos', () => {
  it('setLogo stores an image; every size serves it inline', async () => {
    const p = await product();
    const missing = await fetch(`${m.url}/products/${p.id}/logo/small`, { headers: { accept: 'application/json' } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toMatch(/has no logo\.$/);

    const updated = await m.admin.products.setLogo(p.id, { data: PNG, filename: 'logo.png' });
    expect(updated.id).toBe(p.id);
    for (const size of ['large', 'medium', 'small'] as const) {
      const logo = await m.anonymous.products.logo(p.id, size);
      expect(logo.contentType).toBe('image/png');
      expect(logo.filename).toBe('logo.png');
      expect(await logo.bytes()).toEqual(PNG);
    }
    const res = await fetch(`${m.url}/products/${p.id}/logo/large`, { headers: { accept: 'application/json' } });
    expect(res.headers.get('content-disposition')).toBe('inline; filename="logo.png"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    expect(await fieldErrors(m.admin.products.setLogo(p.id, { data: new TextEncoder().encode('<html>'), filename: 'logo.html' }))).toEqual({
      logo: ['must be an image (PNG, JPEG, GIF, WebP or SVG)'],
    });
    expect(await fieldErrors(m.admin.products.update(p.id, { logo: 'https://example.com/logo.png' } as never))).toEqual({
      logo: ['must be a file, sent as multipart/form-data'],
    });

    // `"logo": null` removes it, as assigning nil detaches a Rails attachment; the rest stays.
    const removed = await m.admin.products.removeLogo(p.id);
    expect(removed).toMatchObject({ id: p.id, name: p.name });
    await expect(m.anonymous.products.logo(p.id)).rejects.toMatchObject({ status: 404 });
    await expect(m.admin.products.removeLogo(p.id)).resolves.toMatchObject({ id: p.id });
  });

  it('a multipart create can carry the logo, with the other fields as form fields', async () => {
    const form = new FormData();
    const name = `Logo at birth ${randomUUID()}`;
    form.append('product[name]', name);
    form.append('product[description]', 'Made with a form.');
    form.append('product[logo]', new Blob([PNG], { type: 'image/png' }), 'birth.png');
    const res = await fetch(`${m.url}/products`, {
      method: 'POST',
      headers: { accept: 'application/json', authorization: `Bearer ${m.server.adminToken}` },
      body: form,
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Product;
    expect(created).toMatchObject({ name, description: 'Made with a form.' });
    expect(await (await m.admin.products.logo(created.id)).bytes()).toEqual(PNG);
  });
});
