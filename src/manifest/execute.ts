/**
 * What each planned action does through the SDK. Every write is safe to repeat: creates carry
 * the plan's ids (a repeated or raced create meets a conflict, and the SDK then reads the
 * record back by that id), updates and uploads are PATCHes, and deleting what is already gone
 * succeeds. A create that finds a record already there compares it with what was asked for,
 * so content written by a concurrent publish is never taken for ours unnoticed.
 */
import type {
  BuildCreateParams,
  ConfigurationCreateParams,
  DependencyCreateParams,
  ExposureCreateParams,
  InterfaceCreateParams,
  LicenseCreateParams,
  Marketplace,
  ParameterCreateParams,
  ProductCreateParams,
  ProductLicenseCreateParams,
  RequestOptions,
  TaskCreateParams,
} from '../index.js';
import { APIError, NotFoundError } from '../sdk/errors.js';
import { fileFromPath } from '../sdk/uploads.js';
import { fieldChanges } from './field-changes.js';
import { fileDigest, remoteDigest } from './file-digest.js';
import type { LocalFiles } from './local-files.js';
import { describeTarget, type PlannedAction } from './plan.js';

export interface ExecuteContext {
  client: Marketplace;
  local: LocalFiles;
  signal?: AbortSignal;
}

/** Carries out one action; throws (with a one-sentence message) when it cannot. */
export async function execute(action: PlannedAction, context: ExecuteContext): Promise<void> {
  const { client } = context;
  const request: RequestOptions = context.signal ? { signal: context.signal } : {};
  const fields = action.fields ?? {};
  const [productId = '', buildId = '', configurationId = ''] = action.parents;
  const { id } = action;

  switch (action.resource) {
    case 'product':
      if (action.action === 'create') return expect(action, await client.products.create(fields as unknown as ProductCreateParams, request));
      if (action.action === 'update') return void (await client.products.update(id, fields, request));
      break;
    case 'license':
      if (action.action === 'create') return expect(action, await client.licenses.create(fields as unknown as LicenseCreateParams, request));
      break;
    case 'interface':
      if (action.action === 'create') return expect(action, await client.interfaces.create(fields as unknown as InterfaceCreateParams, request));
      break;
    case 'product_license':
      if (action.action === 'create') return expect(action, await client.productLicenses.create(productId, fields as unknown as ProductLicenseCreateParams, request));
      if (action.action === 'update') return void (await client.productLicenses.update(productId, id, fields, request));
      if (action.action === 'delete') return gone(client.productLicenses.delete(productId, id, request));
      break;
    case 'logo':
      if (action.action === 'create' || action.action === 'update') return void (await client.products.setLogo(productId, await fileFromPath(action.file!), request));
      if (action.action === 'delete') return removeLogo(productId, context, request);
      break;
    case 'screenshot':
      if (action.action === 'create') return createScreenshot(action, context, request);
      if (action.action === 'update') {
        const image = action.file ? { image: await fileFromPath(action.file) } : {};
        return void (await client.screenshots.update(productId, id, { ...fields, ...image }, request));
      }
      if (action.action === 'delete') return gone(client.screenshots.delete(productId, id, request));
      break;
    case 'build':
      if (action.action === 'create') return expect(action, await client.builds.create(productId, fields as unknown as BuildCreateParams, request));
      if (action.action === 'update') return void (await client.builds.update(productId, id, fields, request));
      break;
    case 'asset': {
      const asset = context.local.asset;
      if (!asset) throw new Error('The build content was not packed.');
      const upload = { data: asset.data, filename: asset.filename, contentType: 'application/gzip' };
      if (action.action === 'create' || action.action === 'update') return void (await client.builds.uploadAsset(productId, id, upload, request));
      break;
    }
    case 'configuration':
      if (action.action === 'create') return expect(action, await client.configurations.create(productId, buildId, fields as unknown as ConfigurationCreateParams, request));
      if (action.action === 'update') return void (await client.configurations.update(productId, buildId, id, fields, request));
      if (action.action === 'delete') return gone(client.configurations.delete(productId, buildId, id, request));
      break;
    case 'task':
      if (action.action === 'create') return expect(action, await client.tasks.create(productId, buildId, configurationId, fields as unknown as TaskCreateParams, request));
      if (action.action === 'update') return void (await client.tasks.update(productId, buildId, configurationId, id, fields, request));
      if (action.action === 'delete') return gone(client.tasks.delete(productId, buildId, configurationId, id, request));
      break;
    case 'exposure':
      if (action.action === 'create') return expect(action, await client.exposures.create(productId, buildId, fields as unknown as ExposureCreateParams, request));
      if (action.action === 'update') return void (await client.exposures.update(productId, buildId, id, fields, request));
      if (action.action === 'delete') return gone(client.exposures.delete(productId, buildId, id, request));
      break;
    case 'parameter': {
      // A parameter's third parent is its exposure.
      const exposureId = action.parents[2] ?? '';
      if (action.action === 'create') return expect(action, await client.parameters.create(productId, buildId, exposureId, fields as unknown as ParameterCreateParams, request));
      if (action.action === 'update') return void (await client.parameters.update(productId, buildId, exposureId, id, fields, request));
      if (action.action === 'delete') return gone(client.parameters.delete(productId, buildId, exposureId, id, request));
      break;
    }
    case 'dependency':
      if (action.action === 'create') return expect(action, await client.dependencies.create(productId, buildId, fields as unknown as DependencyCreateParams, request));
      if (action.action === 'update') return void (await client.dependencies.update(productId, buildId, id, fields, request));
      if (action.action === 'delete') return gone(client.dependencies.delete(productId, buildId, id, request));
      break;
    case 'publication':
      if (action.action === 'create') return void (await client.products.publish(id, request));
      break;
  }
  if (action.action === 'unchanged') return;
  throw new Error(`Cannot ${action.action} ${describeTarget(action)}.`);
}

/**
 * The record a create returned is the one asked for. When the create met a record already
 * there (a retry, a re-run, a concurrent publish), the SDK returned that record: it must hold
 * what this plan wanted, or the step fails rather than pretend. Fields a server does not render
 * are not compared.
 */
function expect(action: PlannedAction, record: object): void {
  const rendered = Object.fromEntries(Object.entries(action.fields ?? {}).filter(([field]) => field !== 'id' && field in record));
  const differences = fieldChanges(rendered, record);
  if (differences.length) {
    throw new Error(
      `${capitalized(describeTarget(action))} already exists with other content (${differences.map((d) => d.field).join(', ')}), probably from a publish running at the same time; run hsp publish again to see the plan.`,
    );
  }
}

/**
 * Screenshots are created as multipart uploads, which the SDK cannot read back after a
 * conflict as it does for JSON creates: look by id here, and compare caption and image.
 */
async function createScreenshot(action: PlannedAction, context: ExecuteContext, request: RequestOptions): Promise<void> {
  const { client } = context;
  const [productId = ''] = action.parents;
  const caption = String(action.fields?.caption ?? action.name);
  try {
    await client.screenshots.create(productId, { id: action.id, caption, image: await fileFromPath(action.file!) }, request);
    return;
  } catch (error) {
    // Only a conflict (or a server failing after saving) may mean the screenshot is there.
    if (!(error instanceof APIError) || (![409, 422].includes(error.status) && error.status < 500)) throw error;
    const existing = await client.screenshots.retrieve(productId, action.id, request).catch(() => undefined);
    if (!existing) throw error;
    const path = `/products/${productId}/screenshots/${action.id}/large`;
    const digest = await remoteDigest(client, { path, download: () => client.screenshots.image(productId, action.id, 'large', request) }, context.signal);
    if (existing.caption !== caption || digest !== (await fileDigest(action.file!))) {
      throw new Error(`${capitalized(describeTarget(action))} already exists with another image or caption, probably from a publish running at the same time; run hsp publish again to see the plan.`, { cause: error });
    }
  }
}

/** Removes the logo, and checks it is gone: a server may ignore the request and keep it. */
async function removeLogo(productId: string, { client, signal }: ExecuteContext, request: RequestOptions): Promise<void> {
  await client.products.removeLogo(productId, request);
  const left = await remoteDigest(client, { path: `/products/${productId}/logo/large`, download: () => client.products.logo(productId, 'large', request) }, signal);
  if (left !== null) throw new Error('The marketplace kept the logo: it does not remove logos when asked to.');
}

/** A delete of something already gone has done its job. */
async function gone(deleting: Promise<unknown>): Promise<void> {
  try {
    await deleting;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
