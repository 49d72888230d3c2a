/**
 * What the marketplace holds for a manifest's product, read before planning: the product
 * (by the manifest's id, else by its unique name), its licences, screenshots and logo, the
 * build of the manifest's version with its configurations, tasks, exposures (and their
 * parameters, when the manifest declares any), dependencies and asset, and the licences and
 * interfaces the manifest names. Independent reads run a few at a time; long lists are
 * streamed page by page and stop as soon as what is wanted is found.
 * Everything here is a read.
 */
import type {
  Build,
  Configuration,
  Dependency,
  Exposure,
  Interface,
  License,
  Marketplace,
  Parameter,
  Product,
  ProductLicense,
  RequestOptions,
  Screenshot,
  Task,
} from '../index.js';
import { NotFoundError } from '../sdk/errors.js';
import { limiter } from './concurrency.js';
import { remoteDigest } from './file-digest.js';
import type { Manifest } from './model.js';
import { isUuid } from './stable-id.js';

export interface ScreenshotState {
  record: Screenshot;
  /** The image's SHA-256; `null` without an image, `undefined` when not looked at (not in the manifest). */
  digest?: string | null;
}

export interface ConfigurationState {
  record: Configuration;
  tasks: Task[];
}

export interface BuildState {
  record: Build;
  /** The asset's SHA-256; `null` without one, `undefined` when not looked at (no content in the manifest). */
  assetDigest?: string | null;
  /** In the server's order (creation order): the first is the default (see conventions.ts). */
  configurations: ConfigurationState[];
  exposures: Exposure[];
  /**
   * The parameters of those exposures; read only when the manifest declares parameters or a
   * prune may delete them (`undefined` otherwise).
   */
  parameters?: Parameter[];
  dependencies: Dependency[];
}

export interface ProductState {
  record: Product;
  /** How it was found. */
  matchedBy: 'id' | 'name';
  /** The logo's SHA-256; `null` without one, `undefined` when not looked at (no logo in the manifest). */
  logoDigest?: string | null;
  productLicenses: ProductLicense[];
  screenshots: ScreenshotState[];
  /** The build of the manifest's version (by id, else by version), when there is one. */
  build?: BuildState;
  buildMatchedBy?: 'id' | 'version';
}

export interface MarketplaceState {
  product?: ProductState;
  /** The licences the manifest names and those the product is offered under. */
  licenses: License[];
  /** Every interface, when the manifest or the build uses any (they are named by id, name or URI). */
  interfaces: Interface[];
}

export interface ReadStateOptions {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Also read what only a prune needs: the logo of a manifest that names none. */
  prune?: boolean;
  signal?: AbortSignal;
}

const PAGE = 100;

export async function readState(client: Marketplace, manifest: Manifest, options: ReadStateOptions = {}): Promise<MarketplaceState> {
  const limit = limiter(options.concurrency ?? 4);
  const request: RequestOptions = options.signal ? { signal: options.signal } : {};
  const { product: spec, build: buildSpec } = manifest;
  const usesInterfaces = buildSpec.exposures.length + buildSpec.dependencies.length > 0;

  const found = await limit(() => findProduct(client, manifest, request));
  const interfaces = usesInterfaces ? limit(() => collect(client.interfaces.list({ perPage: PAGE }, request))) : undefined;
  if (!found) {
    const [licenses, all] = await Promise.all([limit(() => findLicenses(client, manifest, [], request)), interfaces]);
    return { licenses, interfaces: all ?? [] };
  }

  const { record: product, matchedBy } = found;
  const productId = product.id;
  const licensing = limit(() => collect(client.productLicenses.list(productId, { perPage: PAGE }, request))).then(async (productLicenses) => ({
    productLicenses,
    licenses: await limit(() => findLicenses(client, manifest, productLicenses, request)),
  }));
  const logo =
    spec.logo || options.prune
      ? limit(() => remoteDigest(client, { path: `/products/${productId}/logo/large`, download: () => client.products.logo(productId, 'large', request) }, options.signal))
    : Promise.resolve(undefined);
  const screenshots = limit(() => collect(client.screenshots.list(productId, request))).then((records) =>
    Promise.all(
      records.map(async (record): Promise<ScreenshotState> => {
        const wanted = spec.screenshots.some((s) => s.id === record.id || s.caption === record.caption);
        // Paperclip-era servers say when there is no image; ours always renders the field.
        if (!wanted || record.image_file_name === null) return { record, ...(wanted ? { digest: null } : {}) };
        const path = `/products/${productId}/screenshots/${record.id}/large`;
        const digest = await limit(() => remoteDigest(client, { path, download: () => client.screenshots.image(productId, record.id, 'large', request) }, options.signal));
        return { record, digest };
      }),
    ),
  );
  const build = findBuild(client, manifest, productId, limit, request).then((match) =>
    match ? readBuild(client, manifest, productId, match.record, limit, request, options).then((state) => ({ state, matchedBy: match.matchedBy })) : undefined,
  );

  const [{ productLicenses, licenses }, logoDigest, screenshotStates, buildMatch] = await Promise.all([licensing, logo, screenshots, build]);
  const buildUsesInterfaces = !!buildMatch && buildMatch.state.exposures.length + buildMatch.state.dependencies.length > 0;
  const allInterfaces = (await interfaces) ?? (buildUsesInterfaces ? await limit(() => collect(client.interfaces.list({ perPage: PAGE }, request))) : []);

  return {
    product: {
      record: product,
      matchedBy,
      ...(logoDigest !== undefined ? { logoDigest } : {}),
      productLicenses,
      screenshots: screenshotStates,
      ...(buildMatch ? { build: buildMatch.state, buildMatchedBy: buildMatch.matchedBy } : {}),
    },
    licenses,
    interfaces: allInterfaces,
  };
}

async function findProduct(client: Marketplace, manifest: Manifest, request: RequestOptions): Promise<{ record: Product; matchedBy: 'id' | 'name' } | undefined> {
  const { id, name } = manifest.product;
  if (isUuid(id)) {
    const record = await orNothing(client.products.retrieve(id, request));
    if (record) return { record, matchedBy: 'id' };
  }
  // Names are unique in a marketplace; the list is walked only until it turns up.
  for await (const record of client.products.list({ perPage: PAGE }, request)) {
    if (record.name === name) return { record, matchedBy: 'name' };
  }
  return undefined;
}

async function findBuild(
  client: Marketplace,
  manifest: Manifest,
  productId: string,
  limit: <T>(work: () => Promise<T>) => Promise<T>,
  request: RequestOptions,
): Promise<{ record: Build; matchedBy: 'id' | 'version' } | undefined> {
  const { id, version } = manifest.build;
  if (isUuid(id)) {
    const record = await limit(() => orNothing(client.builds.retrieve(productId, id, request)));
    if (record && record.product_id === productId) return { record, matchedBy: 'id' };
  }
  return limit(async () => {
    for await (const record of client.builds.list(productId, { perPage: PAGE }, request)) {
      if (record.version === version) return { record, matchedBy: 'version' as const };
    }
    return undefined;
  });
}

async function readBuild(
  client: Marketplace,
  manifest: Manifest,
  productId: string,
  record: Build,
  limit: <T>(work: () => Promise<T>) => Promise<T>,
  request: RequestOptions,
  { signal, prune }: ReadStateOptions,
): Promise<BuildState> {
  const buildId = record.id;
  const asset =
    manifest.build.content === undefined
      ? Promise.resolve(undefined)
      : record.asset_available === false
        ? Promise.resolve(null)
        : limit(() => remoteDigest(client, { path: `/products/${productId}/builds/${buildId}/asset`, download: () => client.builds.downloadAsset(productId, buildId, request) }, signal));
  const configurations = limit(() => collect(client.configurations.list(productId, buildId, request))).then((list) =>
    Promise.all(
      list.map(async (configuration) => ({
        record: configuration,
        tasks: await limit(() => collect(client.tasks.list(productId, buildId, configuration.id, request))),
      })),
    ),
  );
  const exposures = limit(() => collect(client.exposures.list(productId, buildId, { perPage: PAGE }, request)));
  const wantsParameters = prune || manifest.build.exposures.some((e) => e.parameters !== undefined);
  const parameters = !wantsParameters
    ? Promise.resolve(undefined)
    : exposures.then(async (list) =>
        (
          await Promise.all(
            list.map(async (exposure) =>
              // Some servers list a sub-resource unscoped (every exposure's): the exposure id decides.
              (await limit(() => collect(client.parameters.list(productId, buildId, exposure.id, { perPage: PAGE }, request)))).filter((p) => p.exposure_id === exposure.id),
            ),
          )
        ).flat(),
      );
  const dependencies = limit(() => collect(client.dependencies.list(productId, buildId, { perPage: PAGE }, request)));
  const [assetDigest, configurationStates, exposureList, parameterList, dependencyList] = await Promise.all([asset, configurations, exposures, parameters, dependencies]);
  return {
    record,
    ...(assetDigest !== undefined ? { assetDigest } : {}),
    configurations: configurationStates,
    exposures: exposureList,
    ...(parameterList !== undefined ? { parameters: parameterList } : {}),
    dependencies: dependencyList,
  };
}

/**
 * The licences the plan needs: those the manifest names (by id or URL) and those the product
 * is offered under (to name them). Licences are global and may be many: the walk stops once
 * all of them are found.
 */
async function findLicenses(client: Marketplace, manifest: Manifest, productLicenses: ProductLicense[], request: RequestOptions): Promise<License[]> {
  const ids = new Set([...manifest.product.licenses.map((l) => l.id).filter(isUuid), ...productLicenses.map((pl) => pl.license_id)]);
  const urls = new Set(manifest.product.licenses.map((l) => l.url));
  if (!ids.size && !urls.size) return [];
  const found: License[] = [];
  const missingIds = new Set(ids);
  const missingUrls = new Set(urls);
  for await (const license of client.licenses.list({ perPage: PAGE }, request)) {
    if (ids.has(license.id) || urls.has(license.url)) found.push(license);
    missingIds.delete(license.id);
    missingUrls.delete(license.url);
    if (!missingIds.size && !missingUrls.size) break;
  }
  return found;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function orNothing<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
