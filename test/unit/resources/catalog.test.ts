/**
 * The catalogue resource families: product licenses, builds (+ assets), dependencies,
 * exposures, parameters, configurations, tasks, screenshots (+ images), sub products and
 * badges. Fixtures follow the reference server's captured exchanges (091–141, 156–162,
 * 293–295, 071–072) and, where it 500s instead of rendering, its partials' keys.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Marketplace, Page } from '../../../src/index.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();
const client = () => new Marketplace({ baseUrl: BASE_URL, dialect: 'r2', maxRetries: 0 });

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const anyUuid = expect.stringMatching(UUID_V4);

const HOST = 'http://127.0.0.1:3789';
const P = '2e25631c-eb8f-4594-8593-2894e3d24f62';
const B = 'b58fdc27-2a89-4547-b29d-c2295ff22907';
const IFACE = 'cfe86705-7c74-4681-9b2e-e9fddbf15cf0';
const DEP = '02c94aa2-0148-4c93-8318-f844dde37885';
const EXP = '8d14ad49-db81-4e4f-8c26-e5f39dbdb60b';
const PARAM = 'b0142d09-b6bf-4068-a916-d98e6d8f87ef';
const CONF = '299998e1-99fc-4879-b50b-147f28028e1c';
const TASK = 'ce719608-a4e0-412c-aa7e-323017806ee8';
const PL = 'e3d9436e-e6d4-4652-a3d8-557aba57203d';
const LIC = '6d59cf00-1207-40fa-a831-bdce29dff7ec';
const SUB = '05930474-17f8-48ae-9571-2d686b1af90a';
const PARENT = '27d352ed-fe1a-4621-9d76-5ed76cb613ee';
const CHILD = '041ebe84-f740-4a5b-9479-bd5dfd2b5bcc';
const SHOT = '5b1d0c3e-8f4a-4d2b-9e6f-7a8b9c0d1e2f';
const BADGE = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';

const TS = { created_at: '2026-11-26T06:27:25.677Z', updated_at: '2026-11-26T06:27:26.029Z' };

const productLicense = {
  id: PL,
  product_id: P,
  license_id: LIC,
  external_id: null,
  ...TS,
  path: `/products/${P}/licenses/${PL}.json`,
  url: `${HOST}/products/${P}/licenses/${PL}.json`,
};

const build = {
  id: B,
  product_id: P,
  version: '2.0.0',
  release_notes: 'Capture build.',
  permissions: {},
  container_repository: 'p3000/cql-translation-product',
  container_tag: 'v2.0.0',
  validated_at: null,
  published_at: null,
  ...TS,
  asset_available: false,
  path: `/products/${P}/builds/${B}`,
  url: `${HOST}/products/${P}/builds/${B}`,
};

const dependency = {
  id: DEP,
  build_id: B,
  interface_id: IFACE,
  ...TS,
  url: `${HOST}/products/${P}/builds/${B}/dependencies/${DEP}`,
};
const exposure = { id: EXP, build_id: B, interface_id: IFACE, ...TS, url: `${HOST}/products/${P}/builds/${B}/exposures/${EXP}` };
const parameter = {
  id: PARAM,
  exposure_id: EXP,
  name: 'FHIR_BASE_URL',
  required: true,
  ...TS,
  url: `${HOST}/products/${P}/builds/${B}/exposures/${EXP}/parameters/${PARAM}`,
};
const configuration = {
  id: CONF,
  build_id: B,
  name: 'default',
  ...TS,
  url: `${HOST}/products/${P}/builds/${B}/configurations/${CONF}`,
};
const task = {
  id: TASK,
  configuration_id: CONF,
  name: 'web',
  minimum: 1,
  maximum: 3,
  memory: 512,
  ...TS,
  url: `${HOST}/products/${P}/builds/${B}/configurations/${CONF}/tasks/${TASK}`,
};
const screenshot = {
  id: SHOT,
  product_id: P,
  caption: 'Translation result',
  ...TS,
  image_updated_at: TS.created_at,
  url: `${HOST}/products/${P}/screenshots/${SHOT}`,
  path: `/products/${P}/screenshots/${SHOT}`,
};
const subProduct = {
  id: SUB,
  parent_id: PARENT,
  child_id: CHILD,
  created_at: '2026-11-26T06:27:24.919Z',
  updated_at: '2026-11-26T06:27:24.919Z',
  url: `${HOST}/sub_products/${SUB}.json`,
};
const badge = {
  id: BADGE,
  name: 'Certified',
  description: 'Passed the HSP conformance suite.',
  ...TS,
  url: `${HOST}/badges/${BADGE}.json`,
};

function envelope<T>(results: T[], page = 1, totalPages = 1) {
  return {
    total_pages: totalPages,
    total_entries: results.length,
    previous_page: page > 1 ? page - 1 : null,
    next_page: page < totalPages ? page + 1 : null,
    current_page: page,
    results,
  };
}

/** Answers every request with `body` (JSON) and `status`; `undefined` body means 204 No Content. */
function reply(body: unknown, status = 200, headers: Record<string, string> = {}) {
  api.use(
    http.all(`${BASE_URL}/*`, () =>
      body === undefined ? new HttpResponse(null, { status: 204 }) : HttpResponse.json(body as never, { status, headers }),
    ),
  );
}

/**
 * The error a call fails with. Bad arguments must reject (or make a list reject when used),
 * never throw synchronously, so callers can handle every failure the same way.
 */
async function failure(call: () => unknown): Promise<unknown> {
  let pending: unknown;
  expect(() => {
    pending = call();
  }).not.toThrow();
  return Promise.resolve(pending).then(
    () => undefined,
    (error: unknown) => error,
  );
}

interface Row {
  name: string;
  call: (c: Marketplace) => PromiseLike<unknown>;
  method: string;
  path: string;
  query?: Record<string, string>;
  /** The expected request body; omitted means none. */
  body?: unknown;
  status?: number;
  /** What the server sends; `undefined` answers 204. */
  response: unknown;
  /** What the method resolves to (a page's items for lists). */
  result: unknown;
}

const PB = `/products/${P}/builds/${B}`;

const rows: Row[] = [
  // product licenses
  {
    name: 'productLicenses.list (envelope)',
    call: (c) => c.productLicenses.list(P),
    method: 'GET',
    path: `/products/${P}/licenses`,
    response: envelope([productLicense]),
    result: [productLicense],
  },
  {
    name: 'productLicenses.retrieve',
    call: (c) => c.productLicenses.retrieve(P, PL),
    method: 'GET',
    path: `/products/${P}/licenses/${PL}`,
    response: productLicense,
    result: productLicense,
  },
  {
    name: 'productLicenses.create',
    call: (c) => c.productLicenses.create(P, { license_id: LIC, external_id: 'SKU-1' }),
    method: 'POST',
    path: `/products/${P}/licenses`,
    body: { product_license: { license_id: LIC, external_id: 'SKU-1', product_id: P, id: anyUuid } },
    status: 201,
    response: productLicense,
    result: productLicense,
  },
  {
    name: 'productLicenses.update',
    call: (c) => c.productLicenses.update(P, PL, { license_id: LIC }),
    method: 'PATCH',
    path: `/products/${P}/licenses/${PL}`,
    body: { product_license: { license_id: LIC } },
    response: productLicense,
    result: productLicense,
  },
  {
    name: 'productLicenses.delete (200 with the record)',
    call: (c) => c.productLicenses.delete(P, PL),
    method: 'DELETE',
    path: `/products/${P}/licenses/${PL}`,
    response: productLicense,
    result: productLicense,
  },
  // builds
  {
    name: 'builds.list (envelope, sort and paging on the query)',
    call: (c) => c.builds.list(P, { sort: 'version', order: 'desc', page: 2, perPage: 5 }),
    method: 'GET',
    path: `/products/${P}/builds`,
    query: { sort: 'version', order: 'desc', page: '2', per_page: '5' },
    response: envelope([build], 2, 2),
    result: [build],
  },
  {
    name: 'builds.retrieve (permissions sent back as a string become an object)',
    call: (c) => c.builds.retrieve(P, B),
    method: 'GET',
    path: PB,
    response: { ...build, permissions: '{"network":true}' },
    result: { ...build, permissions: { network: true } },
  },
  {
    name: 'builds.create (product_id in the body, permissions as a JSON string)',
    call: (c) =>
      c.builds.create(P, {
        version: '2.0.0',
        container_repository: 'p3000/cql-translation-product',
        container_tag: 'v2.0.0',
        release_notes: 'Capture build.',
        permissions: { network: true },
      }),
    method: 'POST',
    path: `/products/${P}/builds`,
    body: {
      build: {
        version: '2.0.0',
        container_repository: 'p3000/cql-translation-product',
        container_tag: 'v2.0.0',
        release_notes: 'Capture build.',
        permissions: '{"network":true}',
        product_id: P,
        id: anyUuid,
      },
    },
    status: 201,
    response: build,
    result: build,
  },
  {
    name: 'builds.update',
    call: (c) => c.builds.update(P, B, { release_notes: 'Patched notes.', permissions: { ports: [8080] } }),
    method: 'PATCH',
    path: PB,
    body: { build: { release_notes: 'Patched notes.', permissions: '{"ports":[8080]}' } },
    response: { ...build, release_notes: 'Patched notes.' },
    result: { ...build, release_notes: 'Patched notes.' },
  },
  {
    name: 'builds.delete (200 with the record)',
    call: (c) => c.builds.delete(P, B),
    method: 'DELETE',
    path: PB,
    response: build,
    result: build,
  },
  // dependencies
  {
    name: 'dependencies.list (bare array)',
    call: (c) => c.dependencies.list(P, B),
    method: 'GET',
    path: `${PB}/dependencies`,
    response: [{ ...dependency, mappings: '{"fhir":"FHIR_BASE_URL"}' }],
    result: [{ ...dependency, mappings: { fhir: 'FHIR_BASE_URL' } }],
  },
  {
    name: 'dependencies.retrieve',
    call: (c) => c.dependencies.retrieve(P, B, DEP),
    method: 'GET',
    path: `${PB}/dependencies/${DEP}`,
    response: dependency,
    result: dependency,
  },
  {
    name: 'dependencies.create (build_id in the body, mappings as a JSON string)',
    call: (c) => c.dependencies.create(P, B, { interface_id: IFACE, required: false, mappings: { fhir: 'FHIR_BASE_URL' } }),
    method: 'POST',
    path: `${PB}/dependencies`,
    body: {
      dependency: { interface_id: IFACE, required: false, mappings: '{"fhir":"FHIR_BASE_URL"}', build_id: B, id: anyUuid },
    },
    status: 201,
    response: dependency,
    result: dependency,
  },
  {
    name: 'dependencies.update',
    call: (c) => c.dependencies.update(P, B, DEP, { required: true }),
    method: 'PATCH',
    path: `${PB}/dependencies/${DEP}`,
    body: { dependency: { required: true } },
    response: dependency,
    result: dependency,
  },
  {
    name: 'dependencies.delete (204 → null)',
    call: (c) => c.dependencies.delete(P, B, DEP),
    method: 'DELETE',
    path: `${PB}/dependencies/${DEP}`,
    response: undefined,
    result: null,
  },
  // exposures
  {
    name: 'exposures.list (bare array)',
    call: (c) => c.exposures.list(P, B),
    method: 'GET',
    path: `${PB}/exposures`,
    response: [exposure],
    result: [exposure],
  },
  {
    name: 'exposures.retrieve',
    call: (c) => c.exposures.retrieve(P, B, EXP),
    method: 'GET',
    path: `${PB}/exposures/${EXP}`,
    response: exposure,
    result: exposure,
  },
  {
    name: 'exposures.create',
    call: (c) => c.exposures.create(P, B, { interface_id: IFACE }),
    method: 'POST',
    path: `${PB}/exposures`,
    body: { exposure: { interface_id: IFACE, build_id: B, id: anyUuid } },
    status: 201,
    response: exposure,
    result: exposure,
  },
  {
    name: 'exposures.update',
    call: (c) => c.exposures.update(P, B, EXP, { interface_id: IFACE }),
    method: 'PATCH',
    path: `${PB}/exposures/${EXP}`,
    body: { exposure: { interface_id: IFACE } },
    response: exposure,
    result: exposure,
  },
  {
    name: 'exposures.delete (204 → null)',
    call: (c) => c.exposures.delete(P, B, EXP),
    method: 'DELETE',
    path: `${PB}/exposures/${EXP}`,
    response: undefined,
    result: null,
  },
  // parameters
  {
    name: 'parameters.list (bare array)',
    call: (c) => c.parameters.list(P, B, EXP),
    method: 'GET',
    path: `${PB}/exposures/${EXP}/parameters`,
    response: [parameter],
    result: [parameter],
  },
  {
    name: 'parameters.retrieve',
    call: (c) => c.parameters.retrieve(P, B, EXP, PARAM),
    method: 'GET',
    path: `${PB}/exposures/${EXP}/parameters/${PARAM}`,
    response: parameter,
    result: parameter,
  },
  {
    name: 'parameters.create (exposure_id in the body)',
    call: (c) => c.parameters.create(P, B, EXP, { name: 'FHIR_BASE_URL', required: true }),
    method: 'POST',
    path: `${PB}/exposures/${EXP}/parameters`,
    body: { parameter: { name: 'FHIR_BASE_URL', required: true, exposure_id: EXP, id: anyUuid } },
    status: 201,
    response: parameter,
    result: parameter,
  },
  {
    name: 'parameters.update',
    call: (c) => c.parameters.update(P, B, EXP, PARAM, { required: false }),
    method: 'PATCH',
    path: `${PB}/exposures/${EXP}/parameters/${PARAM}`,
    body: { parameter: { required: false } },
    response: { ...parameter, required: false },
    result: { ...parameter, required: false },
  },
  {
    name: 'parameters.delete (204 → null)',
    call: (c) => c.parameters.delete(P, B, EXP, PARAM),
    method: 'DELETE',
    path: `${PB}/exposures/${EXP}/parameters/${PARAM}`,
    response: undefined,
    result: null,
  },
  // configurations
  {
    name: 'configurations.list (bare array)',
    call: (c) => c.configurations.list(P, B),
    method: 'GET',
    path: `${PB}/configurations`,
    response: [configuration],
    result: [configuration],
  },
  {
    name: 'configurations.retrieve',
    call: (c) => c.configurations.retrieve(P, B, CONF),
    method: 'GET',
    path: `${PB}/configurations/${CONF}`,
    response: configuration,
    result: configuration,
  },
  {
    name: 'configurations.create (build_id in the body)',
    call: (c) => c.configurations.create(P, B, { name: 'default' }),
    method: 'POST',
    path: `${PB}/configurations`,
    body: { configuration: { name: 'default', build_id: B, id: anyUuid } },
    status: 201,
    response: configuration,
    result: configuration,
  },
  {
    name: 'configurations.update',
    call: (c) => c.configurations.update(P, B, CONF, { name: 'high-availability' }),
    method: 'PATCH',
    path: `${PB}/configurations/${CONF}`,
    body: { configuration: { name: 'high-availability' } },
    response: { ...configuration, name: 'high-availability' },
    result: { ...configuration, name: 'high-availability' },
  },
  {
    name: 'configurations.delete (204 → null)',
    call: (c) => c.configurations.delete(P, B, CONF),
    method: 'DELETE',
    path: `${PB}/configurations/${CONF}`,
    response: undefined,
    result: null,
  },
  // tasks
  {
    name: 'tasks.list (bare array)',
    call: (c) => c.tasks.list(P, B, CONF),
    method: 'GET',
    path: `${PB}/configurations/${CONF}/tasks`,
    response: [task],
    result: [task],
  },
  {
    name: 'tasks.retrieve',
    call: (c) => c.tasks.retrieve(P, B, CONF, TASK),
    method: 'GET',
    path: `${PB}/configurations/${CONF}/tasks/${TASK}`,
    response: task,
    result: task,
  },
  {
    name: 'tasks.create (configuration_id in the body, spec fields as given)',
    call: (c) =>
      c.tasks.create(P, B, CONF, {
        name: 'web',
        minimum: 1,
        maximum: 3,
        memory: 512,
        ports: [8080],
        environment: [{ key: 'FHIR_BASE_URL', description: 'Where the FHIR server is', required: true }],
      }),
    method: 'POST',
    path: `${PB}/configurations/${CONF}/tasks`,
    body: {
      task: {
        name: 'web',
        minimum: 1,
        maximum: 3,
        memory: 512,
        ports: [8080],
        environment: [{ key: 'FHIR_BASE_URL', description: 'Where the FHIR server is', required: true }],
        configuration_id: CONF,
        id: anyUuid,
      },
    },
    status: 201,
    response: task,
    result: task,
  },
  {
    name: 'tasks.update',
    call: (c) => c.tasks.update(P, B, CONF, TASK, { memory: 1024 }),
    method: 'PATCH',
    path: `${PB}/configurations/${CONF}/tasks/${TASK}`,
    body: { task: { memory: 1024 } },
    response: { ...task, memory: 1024 },
    result: { ...task, memory: 1024 },
  },
  {
    name: 'tasks.delete (204 → null)',
    call: (c) => c.tasks.delete(P, B, CONF, TASK),
    method: 'DELETE',
    path: `${PB}/configurations/${CONF}/tasks/${TASK}`,
    response: undefined,
    result: null,
  },
  // screenshots (JSON forms; multipart forms are tested below)
  {
    name: 'screenshots.list (bare array)',
    call: (c) => c.screenshots.list(P),
    method: 'GET',
    path: `/products/${P}/screenshots`,
    response: [screenshot],
    result: [screenshot],
  },
  {
    name: 'screenshots.retrieve',
    call: (c) => c.screenshots.retrieve(P, SHOT),
    method: 'GET',
    path: `/products/${P}/screenshots/${SHOT}`,
    response: screenshot,
    result: screenshot,
  },
  {
    name: 'screenshots.create without an image (JSON, product_id in the body)',
    call: (c) => c.screenshots.create(P, { caption: 'Translation result' }),
    method: 'POST',
    path: `/products/${P}/screenshots`,
    body: { screenshot: { caption: 'Translation result', product_id: P, id: anyUuid } },
    status: 201,
    response: screenshot,
    result: screenshot,
  },
  {
    name: 'screenshots.update without an image (JSON)',
    call: (c) => c.screenshots.update(P, SHOT, { caption: 'New caption' }),
    method: 'PATCH',
    path: `/products/${P}/screenshots/${SHOT}`,
    body: { screenshot: { caption: 'New caption' } },
    response: { ...screenshot, caption: 'New caption' },
    result: { ...screenshot, caption: 'New caption' },
  },
  {
    name: 'screenshots.delete (200 with the record)',
    call: (c) => c.screenshots.delete(P, SHOT),
    method: 'DELETE',
    path: `/products/${P}/screenshots/${SHOT}`,
    response: screenshot,
    result: screenshot,
  },
  // sub products
  {
    name: 'subProducts.list (bare array)',
    call: (c) => c.subProducts.list(),
    method: 'GET',
    path: '/sub_products',
    response: [subProduct],
    result: [subProduct],
  },
  {
    name: 'subProducts.retrieve',
    call: (c) => c.subProducts.retrieve(SUB),
    method: 'GET',
    path: `/sub_products/${SUB}`,
    response: subProduct,
    result: subProduct,
  },
  {
    name: 'subProducts.create',
    call: (c) => c.subProducts.create({ parent_id: PARENT, child_id: CHILD }),
    method: 'POST',
    path: '/sub_products',
    body: { sub_product: { parent_id: PARENT, child_id: CHILD, id: anyUuid } },
    status: 201,
    response: subProduct,
    result: subProduct,
  },
  {
    name: 'subProducts.update',
    call: (c) => c.subProducts.update(SUB, { child_id: CHILD }),
    method: 'PATCH',
    path: `/sub_products/${SUB}`,
    body: { sub_product: { child_id: CHILD } },
    response: subProduct,
    result: subProduct,
  },
  {
    name: 'subProducts.delete (204 → null)',
    call: (c) => c.subProducts.delete(SUB),
    method: 'DELETE',
    path: `/sub_products/${SUB}`,
    response: undefined,
    result: null,
  },
  // badges
  {
    name: 'badges.list (bare array, paging on the query)',
    call: (c) => c.badges.list({ perPage: 10 }),
    method: 'GET',
    path: '/badges',
    query: { per_page: '10' },
    response: [badge],
    result: [badge],
  },
  {
    name: 'badges.retrieve',
    call: (c) => c.badges.retrieve(BADGE),
    method: 'GET',
    path: `/badges/${BADGE}`,
    response: badge,
    result: badge,
  },
  {
    name: 'badges.create (a caller-chosen id is sent, lower-cased)',
    call: (c) => c.badges.create({ name: 'Certified', description: badge.description, id: BADGE.toUpperCase() }),
    method: 'POST',
    path: '/badges',
    body: { badge: { name: 'Certified', description: 'Passed the HSP conformance suite.', id: BADGE } },
    status: 201,
    response: badge,
    result: badge,
  },
  {
    name: 'badges.update',
    call: (c) => c.badges.update(BADGE, { description: null }),
    method: 'PATCH',
    path: `/badges/${BADGE}`,
    body: { badge: { description: null } },
    response: { ...badge, description: null },
    result: { ...badge, description: null },
  },
  {
    name: 'badges.delete (204 → null)',
    call: (c) => c.badges.delete(BADGE),
    method: 'DELETE',
    path: `/badges/${BADGE}`,
    response: undefined,
    result: null,
  },
];

describe('catalogue resources on the wire', () => {
  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    reply(row.response, row.status);
    const result = await row.call(client());

    const [req] = api.requests;
    expect(req?.method).toBe(row.method);
    expect(req?.path).toBe(row.path);
    expect(req?.query).toEqual(row.query ?? {});
    expect(req?.headers.accept).toBe('application/json');
    if (row.body === undefined) {
      expect(req?.body).toBeNull();
    } else {
      expect(req?.headers['content-type']).toBe('application/json');
      expect(req?.body).toEqual(row.body);
    }
    expect(result instanceof Page ? result.items : result).toEqual(row.result);
  });

  it('covers every public method of every catalogue class', () => {
    const c = client();
    const families = {
      productLicenses: c.productLicenses,
      builds: c.builds,
      dependencies: c.dependencies,
      exposures: c.exposures,
      parameters: c.parameters,
      configurations: c.configurations,
      tasks: c.tasks,
      screenshots: c.screenshots,
      subProducts: c.subProducts,
      badges: c.badges,
    };
    // Methods exercised by the dedicated tests below rather than by the table.
    const elsewhere = new Set(['builds.uploadAsset', 'builds.downloadAsset', 'screenshots.image']);
    const covered = new Set(rows.map((row) => row.name.split(' ')[0]));
    for (const [family, resource] of Object.entries(families)) {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(resource)).filter((name) => name !== 'constructor');
      expect(methods.length).toBeGreaterThanOrEqual(5);
      for (const method of methods) {
        const key = `${family}.${method}`;
        expect(covered.has(key) || elsewhere.has(key), `${key} is not tested`).toBe(true);
      }
    }
  });
});

describe('lists', () => {
  it('follows envelope pages with for await, asking for page 2 with the same per_page', async () => {
    const second = { ...build, id: '931cc915-a828-4d9c-86dc-4a11a0b4be4e', version: '1.0.2' };
    api.use(
      http.get(`${BASE_URL}/products/${P}/builds`, ({ request }) => {
        const page = new URL(request.url).searchParams.get('page');
        return HttpResponse.json(page === '2' ? envelope([second], 2, 2) : envelope([build], 1, 2));
      }),
    );
    const versions: string[] = [];
    for await (const item of client().builds.list(P, { perPage: 1 })) versions.push(item.version);

    expect(versions).toEqual(['2.0.0', '1.0.2']);
    expect(api.requests.map((r) => r.query)).toEqual([{ per_page: '1' }, { per_page: '1', page: '2' }]);
  });

  it('reads envelope totals, and treats a bare array as one complete page', async () => {
    reply(envelope([productLicense, productLicense], 1, 3));
    const page = await client().productLicenses.list(P);
    expect(page.totalPages).toBe(3);
    expect(page.hasNextPage()).toBe(true);
    expect(page.nextPageNumber).toBe(2);

    api.server.resetHandlers();
    reply([exposure, exposure]);
    const bare = await client().exposures.list(P, B);
    expect(bare.items).toHaveLength(2);
    expect(bare.totalEntries).toBe(2);
    expect(bare.hasNextPage()).toBe(false);
  });
});

describe('deletes', () => {
  it('returns the record on 200 and null on 204 for the same method', async () => {
    reply(badge);
    await expect(client().badges.delete(BADGE)).resolves.toEqual(badge);
    api.server.resetHandlers();
    reply(undefined);
    await expect(client().badges.delete(BADGE)).resolves.toBeNull();
    const requests = api.requests;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE /badges/${BADGE}`, `DELETE /badges/${BADGE}`]);
  });
});

describe('build assets', () => {
  const bytes = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4]);

  it('uploadAsset PATCHes multipart build[asset] on the build and returns the build', async () => {
    reply({ ...build, asset_available: true });
    const result = await client().builds.uploadAsset(P, B, { data: bytes, filename: 'app-2.0.0.tgz' });

    expect(result).toEqual({ ...build, asset_available: true });
    const [req] = api.requests;
    expect(req?.method).toBe('PATCH');
    expect(req?.path).toBe(PB);
    expect(req?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const form = req?.body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect([...form.keys()]).toEqual(['build[asset]']);
    const file = form.get('build[asset]') as File;
    expect(file.name).toBe('app-2.0.0.tgz');
    expect(file.type).toBe('application/gzip');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });

  it('downloadAsset returns the bytes, content type and attachment filename', async () => {
    api.use(
      http.get(
        `${BASE_URL}${PB}/asset`,
        () =>
          new HttpResponse(bytes, {
            headers: {
              'content-type': 'application/gzip',
              'content-disposition': 'attachment; filename=app-2.0.0.tgz',
              'content-length': String(bytes.length),
            },
          }),
      ),
    );
    const file = await client().builds.downloadAsset(P, B);

    expect(file.contentType).toBe('application/gzip');
    expect(file.filename).toBe('app-2.0.0.tgz');
    expect(file.size).toBe(bytes.length);
    expect(await file.bytes()).toEqual(bytes);
    expect(api.requests[0]?.method).toBe('GET');
    expect(api.requests[0]?.path).toBe(`${PB}/asset`);
    // The reference server answers 406 to downloads without it.
    expect(api.requests[0]?.headers.accept).toBe('application/json');
  });
});

describe('screenshot images', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9]);

  it('create with an image POSTs multipart with caption, product_id, a client id and the file', async () => {
    reply(screenshot, 201);
    const result = await client().screenshots.create(P, {
      caption: 'Translation result',
      image: new File([png], 'result.png', { type: 'image/png' }),
    });

    expect(result).toEqual(screenshot);
    const [req] = api.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/products/${P}/screenshots`);
    const form = req?.body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect([...form.keys()].sort()).toEqual([
      'screenshot[caption]',
      'screenshot[id]',
      'screenshot[image]',
      'screenshot[product_id]',
    ]);
    expect(form.get('screenshot[caption]')).toBe('Translation result');
    expect(form.get('screenshot[product_id]')).toBe(P);
    expect(form.get('screenshot[id]')).toMatch(UUID_V4);
    const file = form.get('screenshot[image]') as File;
    expect(file.name).toBe('result.png');
    expect(file.type).toBe('image/png');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(png);
  });

  it('a multipart create is retried with the same id, so it cannot make two screenshots', async () => {
    let calls = 0;
    api.use(
      http.post(`${BASE_URL}/products/${P}/screenshots`, () =>
        ++calls === 1
          ? HttpResponse.json({ status: 503, error: 'Service Unavailable' }, { status: 503, headers: { 'retry-after-ms': '0' } })
          : HttpResponse.json(screenshot, { status: 201 }),
      ),
    );
    const result = await client().screenshots.create(P, { caption: 'Translation result', image: png }, { maxRetries: 1 });

    expect(result).toEqual(screenshot);
    const ids = api.requests.map((r) => (r.body as FormData).get('screenshot[id]'));
    expect(ids[0]).toMatch(UUID_V4);
    expect(ids[1]).toBe(ids[0]);
  });

  it('create with an image keeps a caller-chosen id', async () => {
    reply(screenshot, 201);
    await client().screenshots.create(P, { caption: 'Translation result', image: png, id: SHOT });
    expect((api.requests[0]?.body as FormData).get('screenshot[id]')).toBe(SHOT);
  });

  it('a multipart create answered with no record reads the new screenshot back by its id', async () => {
    api.use(
      http.post(`${BASE_URL}/products/${P}/screenshots`, () => new HttpResponse(null, { status: 201 })),
      // What the core's fallback reads first: the index, which is not the new record.
      http.get(`${BASE_URL}/products/${P}/screenshots`, () => HttpResponse.json([screenshot, { ...screenshot, id: BADGE }])),
      http.get(`${BASE_URL}/products/${P}/screenshots/:id`, () => HttpResponse.json(screenshot)),
    );
    const result = await client().screenshots.create(P, { caption: 'Translation result', image: png, id: SHOT });

    expect(result).toEqual(screenshot);
    const requests = api.requests;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toContain(`GET /products/${P}/screenshots/${SHOT}`);
  });

  it('update with an image PATCHes multipart screenshot[image] (and the caption)', async () => {
    reply(screenshot);
    const result = await client().screenshots.update(P, SHOT, {
      caption: 'New caption',
      image: { data: png, filename: 'new.png' },
    });

    expect(result).toEqual(screenshot);
    const [req] = api.requests;
    expect(req?.method).toBe('PATCH');
    expect(req?.path).toBe(`/products/${P}/screenshots/${SHOT}`);
    const form = req?.body as FormData;
    expect([...form.keys()].sort()).toEqual(['screenshot[caption]', 'screenshot[image]']);
    expect(form.get('screenshot[caption]')).toBe('New caption');
    const file = form.get('screenshot[image]') as File;
    expect(file.name).toBe('new.png');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(png);
  });

  it('image() downloads a rendition, large by default', async () => {
    api.use(
      http.get(`${BASE_URL}/products/${P}/screenshots/${SHOT}/:size`, () =>
        new HttpResponse(png, {
          headers: { 'content-type': 'image/png', 'content-disposition': 'inline; filename="result.png"' },
        }),
      ),
    );
    const large = await client().screenshots.image(P, SHOT);
    expect(large.contentType).toBe('image/png');
    expect(large.filename).toBe('result.png');
    expect(await large.bytes()).toEqual(png);

    const small = await client().screenshots.image(P, SHOT, 'small');
    expect(await small.bytes()).toEqual(png);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /products/${P}/screenshots/${SHOT}/large`,
      `GET /products/${P}/screenshots/${SHOT}/small`,
    ]);
  });
});

describe('argument checks (the call rejects and no request is made)', () => {
  const bad = 'not-a-uuid';
  const invalidIds: [string, (c: Marketplace) => unknown, string][] = [
    ['productLicenses.list', (c) => c.productLicenses.list(bad), 'productId'],
    ['productLicenses.retrieve', (c) => c.productLicenses.retrieve(P, bad), 'id'],
    ['productLicenses.create', (c) => c.productLicenses.create(bad, { license_id: LIC }), 'productId'],
    ['productLicenses.update', (c) => c.productLicenses.update(P, '12345', {}), 'id'],
    ['productLicenses.delete', (c) => c.productLicenses.delete(`${P}/../x`, PL), 'productId'],
    ['builds.list', (c) => c.builds.list(bad), 'productId'],
    ['builds.retrieve', (c) => c.builds.retrieve(P, bad), 'buildId'],
    ['builds.create', (c) => c.builds.create(bad, { version: '1.0.0' }), 'productId'],
    ['builds.update', (c) => c.builds.update(P, bad, {}), 'buildId'],
    ['builds.delete', (c) => c.builds.delete(P, bad), 'buildId'],
    ['builds.uploadAsset', (c) => c.builds.uploadAsset(P, bad, new Uint8Array([1])), 'buildId'],
    ['builds.downloadAsset', (c) => c.builds.downloadAsset(bad, B), 'productId'],
    ['dependencies.list', (c) => c.dependencies.list(P, bad), 'buildId'],
    ['dependencies.retrieve', (c) => c.dependencies.retrieve(P, B, bad), 'id'],
    ['dependencies.create', (c) => c.dependencies.create(P, bad, { interface_id: IFACE }), 'buildId'],
    ['dependencies.update', (c) => c.dependencies.update(bad, B, DEP, {}), 'productId'],
    ['dependencies.delete', (c) => c.dependencies.delete(P, B, bad), 'id'],
    ['exposures.list', (c) => c.exposures.list(bad, B), 'productId'],
    ['exposures.retrieve', (c) => c.exposures.retrieve(P, bad, EXP), 'buildId'],
    ['exposures.create', (c) => c.exposures.create(P, bad, { interface_id: IFACE }), 'buildId'],
    ['exposures.update', (c) => c.exposures.update(P, B, bad, {}), 'id'],
    ['exposures.delete', (c) => c.exposures.delete(P, B, bad), 'id'],
    ['parameters.list', (c) => c.parameters.list(P, B, bad), 'exposureId'],
    ['parameters.retrieve', (c) => c.parameters.retrieve(P, B, EXP, bad), 'id'],
    ['parameters.create', (c) => c.parameters.create(P, B, bad, { name: 'X' }), 'exposureId'],
    ['parameters.update', (c) => c.parameters.update(P, bad, EXP, PARAM, {}), 'buildId'],
    ['parameters.delete', (c) => c.parameters.delete(P, B, EXP, bad), 'id'],
    ['configurations.list', (c) => c.configurations.list(P, bad), 'buildId'],
    ['configurations.retrieve', (c) => c.configurations.retrieve(P, B, bad), 'id'],
    ['configurations.create', (c) => c.configurations.create(bad, B, { name: 'default' }), 'productId'],
    ['configurations.update', (c) => c.configurations.update(P, B, bad, {}), 'id'],
    ['configurations.delete', (c) => c.configurations.delete(P, B, bad), 'id'],
    ['tasks.list', (c) => c.tasks.list(P, B, bad), 'configurationId'],
    ['tasks.retrieve', (c) => c.tasks.retrieve(P, B, CONF, bad), 'id'],
    ['tasks.create', (c) => c.tasks.create(P, B, bad, { name: 'web' }), 'configurationId'],
    ['tasks.update', (c) => c.tasks.update(P, B, CONF, bad, {}), 'id'],
    ['tasks.delete', (c) => c.tasks.delete(P, B, bad, TASK), 'configurationId'],
    ['screenshots.list', (c) => c.screenshots.list(bad), 'productId'],
    ['screenshots.retrieve', (c) => c.screenshots.retrieve(P, bad), 'id'],
    ['screenshots.create', (c) => c.screenshots.create(bad, { caption: 'x', image: new Uint8Array([1]) }), 'productId'],
    ['screenshots.update', (c) => c.screenshots.update(P, bad, { image: new Uint8Array([1]) }), 'id'],
    ['screenshots.delete', (c) => c.screenshots.delete(P, bad), 'id'],
    ['screenshots.image', (c) => c.screenshots.image(P, bad), 'id'],
    ['subProducts.retrieve', (c) => c.subProducts.retrieve(bad), 'id'],
    ['subProducts.update', (c) => c.subProducts.update(bad, {}), 'id'],
    ['subProducts.delete', (c) => c.subProducts.delete(bad), 'id'],
    ['badges.retrieve', (c) => c.badges.retrieve(bad), 'id'],
    ['badges.update', (c) => c.badges.update(bad, {}), 'id'],
    ['badges.delete', (c) => c.badges.delete(bad), 'id'],
    ['badges.create with a bad client id', (c) => c.badges.create({ name: 'X', id: bad }), 'id'],
    [
      'screenshots.create with an image and a bad client id',
      (c) => c.screenshots.create(P, { caption: 'x', image: new Uint8Array([1]), id: bad }),
      'id',
    ],
  ];

  it.each(invalidIds)('%s rejects an invalid UUID', async (_name, call, argument) => {
    reply({});
    const error = await failure(() => call(client()));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).toMatch(/must be a UUID/);
    expect(api.requests).toHaveLength(0);
  });

  const blanks: [string, (c: Marketplace) => unknown, string][] = [
    ['builds.create blank version', (c) => c.builds.create(P, { version: '  ' }), 'version'],
    ['builds.create missing version', (c) => c.builds.create(P, {} as never), 'version'],
    ['configurations.create blank name', (c) => c.configurations.create(P, B, { name: '' }), 'name'],
    ['tasks.create blank name', (c) => c.tasks.create(P, B, CONF, { name: ' ' }), 'name'],
    ['parameters.create blank name', (c) => c.parameters.create(P, B, EXP, { name: '' }), 'name'],
    ['badges.create blank name', (c) => c.badges.create({ name: '\t' }), 'name'],
    ['screenshots.create blank caption', (c) => c.screenshots.create(P, { caption: '' }), 'caption'],
    [
      'screenshots.create blank caption with an image',
      (c) => c.screenshots.create(P, { caption: ' ', image: new Uint8Array([1]) }),
      'caption',
    ],
    ['productLicenses.create blank license_id', (c) => c.productLicenses.create(P, { license_id: '' }), 'license_id'],
    ['dependencies.create blank interface_id', (c) => c.dependencies.create(P, B, { interface_id: '' }), 'interface_id'],
    ['exposures.create blank interface_id', (c) => c.exposures.create(P, B, { interface_id: '' }), 'interface_id'],
    ['subProducts.create missing child_id', (c) => c.subProducts.create({ parent_id: PARENT } as never), 'child_id'],
    ['badges.create with no params', (c) => c.badges.create(undefined as never), 'badges.create'],
  ];

  it.each(blanks)('%s throws InvalidArgumentError', async (_name, call, argument) => {
    reply({});
    const error = await failure(() => call(client()));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect(api.requests).toHaveLength(0);
  });

  it('screenshots.image rejects an unknown size', async () => {
    reply({});
    const error = await failure(() => client().screenshots.image(P, SHOT, 'huge' as never));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('size');
    expect(api.requests).toHaveLength(0);
  });
});

describe('Release 1 servers', () => {
  const r1 = () => new Marketplace({ baseUrl: BASE_URL, dialect: 'r1', maxRetries: 0 });

  it('builds.create speaks /services and service_id', async () => {
    reply({ ...build, product_id: undefined, service_id: P }, 201);
    const result = await r1().builds.create(P, { version: '2.0.0', service_version: '2.0' });

    expect(result.product_id).toBe(P);
    expect(api.requests[0]?.path).toBe(`/services/${P}/builds`);
    expect(api.requests[0]?.body).toEqual({ build: { version: '2.0.0', service_version: '2.0', service_id: P, id: anyUuid } });
  });

  it('a screenshot upload names the parent screenshot[service_id]', async () => {
    reply({ ...screenshot, product_id: undefined, service_id: P }, 201);
    await r1().screenshots.create(P, { caption: 'Translation result', image: new Uint8Array([1, 2]) });

    const [req] = api.requests;
    expect(req?.path).toBe(`/services/${P}/screenshots`);
    const form = req?.body as FormData;
    expect(form.get('screenshot[service_id]')).toBe(P);
    expect(form.has('screenshot[product_id]')).toBe(false);
  });
});
