/**
 * What the Marketplace UI's catalogue asks of the product index beyond name and MIME type:
 * products offered under a licence (`?license=<id>`), products with a build exposing an
 * interface (`?interface=<id>`), in the list and in search, across pages; and the logo's
 * fields on each product, so a catalogue fetches only the logos that exist. On PGlite, and on
 * PostgreSQL with HSP_TEST_DATABASE_URL.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Interface, License, Product } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest } from '../../helpers/raw-request.js';

const m = useMarketplace();
const PAST = '2020-01-01T00:00:00.000Z';
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);

let licence: License;
let otherLicence: License;
let fhir: Interface;
const underLicence: Product[] = [];
const exposingFhir: Product[] = [];

async function published(name: string): Promise<Product> {
  return m.admin.products.create({ name, description: 'A ward tool', published_at: PAST, visible_at: PAST });
}

beforeAll(async () => {
  const tag = randomUUID().slice(0, 8);
  licence = await m.admin.licenses.create({ name: `Filter licence ${tag}`, url: `https://example.org/licences/${tag}`, expiry: 'indefinite' });
  otherLicence = await m.admin.licenses.create({ name: `Other licence ${tag}`, url: `https://example.org/other/${tag}`, expiry: 'indefinite' });
  fhir = await m.admin.interfaces.create({ name: `FHIR ${tag}`, uri: `http://example.org/fhir/${tag}`, version: '4.0.1' });
  // Five under the licence (more than one page of two), two under another, one exposing FHIR in its second build.
  for (let i = 1; i <= 5; i++) {
    const product = await published(`Licensed ward tool ${i}`);
    await m.admin.productLicenses.create(product.id, { license_id: licence.id });
    underLicence.push(product);
  }
  for (let i = 1; i <= 2; i++) {
    const product = await published(`Other ward tool ${i}`);
    await m.admin.productLicenses.create(product.id, { license_id: otherLicence.id });
  }
  const exposing = await published('Exposing ward tool');
  await m.admin.builds.create(exposing.id, { version: '1.0.0' });
  const second = await m.admin.builds.create(exposing.id, { version: '2.0.0' });
  await m.admin.exposures.create(exposing.id, second.id, { interface_id: fhir.id });
  exposingFhir.push(exposing);
  // A build that exposes nothing does not count.
  const plain = await published('Plain ward tool');
  await m.admin.builds.create(plain.id, { version: '1.0.0' });
});

const names = (items: Product[]) => items.map((p) => p.name).sort();

describe('the licence and interface filters of the product index', () => {
  it('lists only the products offered under a licence, paged over the filtered rows', async () => {
    const first = await m.anonymous.products.list({ license: licence.id, perPage: 2, sort: 'name' });
    expect(first.totalEntries).toBe(5);
    expect(first.items.map((p) => p.name)).toEqual(['Licensed ward tool 1', 'Licensed ward tool 2']);
    const third = await m.anonymous.products.list({ license: licence.id, perPage: 2, page: 3, sort: 'name' });
    expect(third.items.map((p) => p.name)).toEqual(['Licensed ward tool 5']);
    expect(third.hasNextPage()).toBe(false);
  });

  it('lists only the products with a build exposing an interface', async () => {
    const page = await m.anonymous.products.list({ interface: fhir.id });
    expect(names(page.items)).toEqual(names(exposingFhir));
  });

  it('applies both filters in search, together with the text', async () => {
    const found = await m.anonymous.products.search({ text: 'ward 3', license: licence.id });
    expect(found.items.map((p) => p.name)).toEqual(['Licensed ward tool 3']);
    const none = await m.anonymous.products.search({ text: 'ward', license: otherLicence.id, interface: fhir.id });
    expect(none.items).toEqual([]);
    const both = await m.anonymous.products.search({ text: 'exposing', interface: fhir.id });
    expect(names(both.items)).toEqual(['Exposing ward tool']);
  });

  it('refuses a filter value that is not an id, with a sentence naming the filter', async () => {
    expectSentence(await rawRequest(m, 'GET', '/products?license=apache', { token: null }), 400, /license filter must be a UUID/);
    expectSentence(await rawRequest(m, 'GET', '/products?interface=fhir', { token: null }), 400, /interface filter must be a UUID/);
  });
});

describe('logo fields on products', () => {
  it('are null without a logo and describe the file once one is uploaded', async () => {
    const product = underLicence[0]!;
    const before = await m.anonymous.products.retrieve(product.id);
    expect(before).toMatchObject({ logo_file_name: null, logo_content_type: null, logo_file_size: null, logo_updated_at: null });
    await m.admin.products.setLogo(product.id, new File([PNG], 'ward.png', { type: 'image/png' }));
    const listed = (await m.anonymous.products.list({ license: licence.id, perPage: 10 })).items.find((p) => p.id === product.id);
    expect(listed).toMatchObject({ logo_file_name: 'ward.png', logo_content_type: 'image/png', logo_file_size: PNG.byteLength });
    expect(Date.parse(listed!.logo_updated_at!)).toBeGreaterThan(Date.parse(PAST));
    const others = (await m.anonymous.products.list({ license: licence.id, perPage: 10 })).items.filter((p) => p.id !== product.id);
    expect(others.every((p) => p.logo_updated_at === null)).toBe(true);
  });
});
