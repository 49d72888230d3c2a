/**
 * The publish plan: what to create, update, leave or (with prune) delete so that the
 * marketplace matches a manifest, like `terraform plan`. Pure: the manifest, the state read
 * from the marketplace and the digests of the local files go in, a plan comes out; nothing
 * is read or written here, which is what makes a dry run exact.
 *
 * Records are matched by id when the manifest gives one, else by their natural key (a
 * licence's URL, a screenshot's caption, a configuration's name, a task's name within its
 * configuration, an exposure's or dependency's interface, a parameter's name within its
 * exposure). Records the manifest gives no id get a stable one (stable-id.ts), so that every
 * create can be repeated without duplicating.
 *
 * Rules the plan enforces:
 * - A build version is an immutable release. Once it exists, creating its missing parts is
 *   allowed (that is how an interrupted publish resumes), but changing or deleting anything
 *   in it is an error, one sentence per difference, unless `force`. Its image digest is part
 *   of it: a tag that now points elsewhere is a content change of the release, refused like
 *   any other. Recording a digest where the build has none (it was published with
 *   --no-resolve) pins what the tag runs today, and is allowed.
 * - Licences and interfaces are shared by every product: a publish creates a missing one but
 *   never changes an existing one (a different name is a warning).
 * - The default configuration is the build's first (conventions.ts): it is created before the
 *   others, and a plan that would leave another one first is refused. A build may have no
 *   configuration at all: agents then run its image as it is, as one task.
 */
import { basename } from 'node:path';
import type { Interface } from '../index.js';
import { defaultConfiguration } from './conventions.js';
import { fieldChanges, type FieldChange } from './field-changes.js';
import type { ImagePin } from './image-pin.js';
import type { LocalFiles } from './local-files.js';
import type { InterfaceUse, Manifest, ParameterSpec, TaskSpec } from './model.js';
import type { ConfigurationState, MarketplaceState } from './state.js';
import { isUuid, stableId } from './stable-id.js';
import {
  buildFields,
  dependencyFields,
  licenseFields,
  parameterFields,
  productFields,
  productLicenseFields,
  taskFields,
  type WireFields,
} from './wire-fields.js';

export type ActionKind = 'create' | 'update' | 'delete' | 'unchanged';

export type ResourceKind =
  | 'product'
  | 'license'
  | 'product_license'
  | 'logo'
  | 'screenshot'
  | 'build'
  | 'asset'
  | 'interface'
  | 'configuration'
  | 'task'
  | 'exposure'
  | 'parameter'
  | 'dependency'
  | 'publication';

export interface PlannedAction {
  /** Unique in the plan: `resource:id`. */
  key: string;
  action: ActionKind;
  resource: ResourceKind;
  /** The record's id (for a logo or an asset: its product's or build's). */
  id: string;
  /** What people call it: a name, a version, a caption, an interface's name, a file name. */
  name: string;
  /** Where it sits, for people: `configuration "default"`, `build 1.0.0`. */
  within?: string;
  /** For updates: the fields that differ. */
  changes?: FieldChange[];
  /** Keys of the actions that must have succeeded before this one runs. */
  after: string[];
  /** The ids of the record's parents, outermost first (product, build, then its configuration or exposure). */
  parents: string[];
  /** What a create sends (with the id), or the changed fields an update sends. */
  fields?: WireFields;
  /** The local file a logo or screenshot action uploads (an asset uploads the packed content). */
  file?: string;
}

export interface Plan {
  product: { id: string; name: string };
  /** `image`: the digest recorded for the build's image, and where it came from. */
  build: { id: string; version: string; image?: ImagePin };
  actions: PlannedAction[];
  /** Things to know that do not stop the publish. */
  warnings: string[];
  /** Reasons the plan must not be applied, one sentence each. */
  errors: string[];
}

export interface PlanOptions {
  /** Delete what the product and build have that the manifest does not list. */
  prune?: boolean;
  /** Change and delete inside a build version that already exists. */
  force?: boolean;
  /** Publish the product once everything else is in place. */
  publish?: boolean;
}

export type PlanSummary = Record<ActionKind, number>;

/** Parts of a build, which the immutability rule covers. */
const BUILD_PARTS = new Set<ResourceKind>(['build', 'asset', 'configuration', 'task', 'exposure', 'parameter', 'dependency']);

export function planPublish(manifest: Manifest, state: MarketplaceState, local: LocalFiles, options: PlanOptions = {}): Plan {
  const { product: spec, build: buildSpec, file } = manifest;
  const actions: PlannedAction[] = [];
  const warnings: string[] = [];
  const errors: string[] = [...local.errors];
  const add = (action: Omit<PlannedAction, 'key'>): PlannedAction => {
    const planned = { key: `${action.resource}:${action.id}`, ...action };
    actions.push(planned);
    return planned;
  };
  const createdKeys = (...parents: (PlannedAction | undefined)[]) => parents.filter((p) => p?.action === 'create').map((p) => p!.key);
  /** The manifest's id when it is usable, else a stable one from the natural key. */
  const idFor = (given: string | undefined, where: string, ...natural: string[]) => {
    if (given !== undefined && !isUuid(given)) warnings.push(`${file}: ${where}: id "${given}" is not a UUID; a derived id is used instead.`);
    return isUuid(given) ? given.toLowerCase() : stableId(...natural);
  };
  const prune = !!options.prune;

  // The product.
  const existingProduct = state.product?.record;
  const productId = existingProduct?.id ?? idFor(spec.id, 'product', 'product', spec.name);
  if (existingProduct && isUuid(spec.id) && existingProduct.id !== spec.id.toLowerCase()) {
    warnings.push(`Product "${existingProduct.name}" has the id ${existingProduct.id} in the marketplace, not ${spec.id} as ${file} says; the existing product is updated.`);
  }
  const product = add(
    existingProduct
      ? changed({ resource: 'product', id: productId, name: spec.name, parents: [], after: [] }, productFields(spec), existingProduct)
      : { action: 'create', resource: 'product', id: productId, name: spec.name, parents: [], after: [], fields: { id: productId, ...productFields(spec) } },
  );
  const underProduct = createdKeys(product);

  // Licences (shared, created when missing) and the product's offers of them.
  const offered = new Set<string>();
  const seenUrls = new Set<string>();
  spec.licenses.forEach((licenseSpec, i) => {
    const where = `product.licenses[${i}]`;
    if (seenUrls.has(licenseSpec.url)) return void errors.push(`${file}: ${where}: the licence ${licenseSpec.url} is listed twice.`);
    seenUrls.add(licenseSpec.url);
    const existing = (isUuid(licenseSpec.id) && state.licenses.find((l) => l.id === licenseSpec.id!.toLowerCase())) || state.licenses.find((l) => l.url === licenseSpec.url);
    let license: PlannedAction;
    if (existing) {
      license = actions.find((a) => a.key === `license:${existing.id}`) ?? add({ action: 'unchanged', resource: 'license', id: existing.id, name: existing.name, parents: [], after: [] });
      if (existing.name !== licenseSpec.name) {
        warnings.push(`The licence at ${existing.url} is named "${existing.name}" in the marketplace, not "${licenseSpec.name}"; licences are shared by all products, so a publish leaves it as it is.`);
      }
    } else {
      const id = idFor(licenseSpec.id, where, 'license', licenseSpec.url);
      license = add({ action: 'create', resource: 'license', id, name: licenseSpec.name, parents: [], after: [], fields: { id, ...licenseFields(licenseSpec) } });
    }
    offered.add(license.id);
    const wanted = productLicenseFields(licenseSpec, license.id);
    const row = state.product?.productLicenses.find((pl) => pl.license_id === license.id);
    if (row) {
      add(changed({ resource: 'product_license', id: row.id, name: license.name, parents: [productId], after: [] }, wanted, row));
    } else {
      const id = stableId(productId, 'license', license.id);
      add({ action: 'create', resource: 'product_license', id, name: license.name, parents: [productId], after: [...underProduct, ...createdKeys(license)], fields: { id, ...wanted } });
    }
  });
  if (prune) {
    for (const row of state.product?.productLicenses ?? []) {
      if (offered.has(row.license_id)) continue;
      const name = state.licenses.find((l) => l.id === row.license_id)?.name ?? row.license_id;
      add({ action: 'delete', resource: 'product_license', id: row.id, name, parents: [productId], after: [] });
    }
  }

  // The logo.
  if (spec.logo) {
    const digest = local.digests.get(spec.logo);
    if (digest) add(fileAction({ resource: 'logo', id: productId, name: basename(spec.logo), parents: [productId], after: underProduct, file: spec.logo }, state.product?.logoDigest ?? null, digest));
  } else if (prune && state.product?.logoDigest) {
    // Named, like its id, after the product it belongs to: the server keeps no file name to show.
    add({ action: 'delete', resource: 'logo', id: productId, name: spec.name, parents: [productId], after: [] });
  }

  // Screenshots, by caption.
  const keptScreenshots = new Set<string>();
  const captions = new Set<string>();
  spec.screenshots.forEach((screenshot, i) => {
    const where = `product.screenshots[${i}]`;
    if (captions.has(screenshot.caption)) return void errors.push(`${file}: ${where}: the caption "${screenshot.caption}" is used twice.`);
    captions.add(screenshot.caption);
    const digest = local.digests.get(screenshot.file);
    const list = state.product?.screenshots ?? [];
    const existing = (isUuid(screenshot.id) && list.find((s) => s.record.id === screenshot.id!.toLowerCase())) || list.find((s) => s.record.caption === screenshot.caption);
    if (!existing) {
      if (!digest) return;
      const id = idFor(screenshot.id, where, productId, 'screenshot', screenshot.caption);
      add({ action: 'create', resource: 'screenshot', id, name: screenshot.caption, parents: [productId], after: underProduct, fields: { id, caption: screenshot.caption }, file: screenshot.file });
      return;
    }
    keptScreenshots.add(existing.record.id);
    const changes = fieldChanges({ caption: screenshot.caption }, existing.record);
    const imageChanged = digest !== undefined && digest !== existing.digest;
    if (imageChanged) changes.push({ field: 'sha256', from: existing.digest ?? null, to: digest });
    add({
      action: changes.length ? 'update' : 'unchanged',
      resource: 'screenshot',
      id: existing.record.id,
      name: screenshot.caption,
      parents: [productId],
      after: [],
      ...(changes.length ? { changes, fields: Object.fromEntries(changes.filter((c) => c.field !== 'sha256').map((c) => [c.field, c.to])) } : {}),
      ...(imageChanged ? { file: screenshot.file } : {}),
    });
  });
  if (prune) {
    for (const { record } of state.product?.screenshots ?? []) {
      if (!keptScreenshots.has(record.id)) add({ action: 'delete', resource: 'screenshot', id: record.id, name: record.caption, parents: [productId], after: [] });
    }
  }

  // The build of this version.
  const existingBuild = state.product?.build;
  const buildId = existingBuild?.record.id ?? idFor(buildSpec.id, 'build', productId, 'build', buildSpec.version);
  const inBuild = `build ${buildSpec.version}`;
  const wantedBuild = buildFields(buildSpec, local.image?.digest);
  // A server that keeps no digest renders none (the reference server): it is sent, never compared.
  if (existingBuild && !Object.hasOwn(existingBuild.record, 'container_digest')) delete wantedBuild.container_digest;
  const build = add(
    existingBuild
      ? changed({ resource: 'build', id: buildId, name: buildSpec.version, parents: [productId], after: [] }, wantedBuild, existingBuild.record)
      : { action: 'create', resource: 'build', id: buildId, name: buildSpec.version, parents: [productId], after: underProduct, fields: { id: buildId, ...wantedBuild } },
  );
  const underBuild = createdKeys(build);
  const buildParents = [productId, buildId];

  if (buildSpec.content && local.asset) {
    add(fileAction({ resource: 'asset', id: buildId, name: local.asset.filename, within: inBuild, parents: buildParents, after: underBuild }, existingBuild?.assetDigest ?? null, local.asset.sha256));
  }

  // Configurations and their tasks; the default one first.
  const configurationSpecs = buildSpec.configurations;
  const defaults = configurationSpecs.filter((c) => c.default);
  // None at all is a build whose image runs as it is.
  if (configurationSpecs.length && defaults.length !== 1) errors.push(`${file}: build.configurations: exactly one configuration must be the default, found ${defaults.length}.`);
  const ordered = [...defaults.slice(0, 1), ...configurationSpecs.filter((c) => c !== defaults[0])];
  const existingConfigurations = existingBuild?.configurations ?? [];
  const keptConfigurations = new Map<string, string>();
  let defaultCreate: PlannedAction | undefined;
  const names = new Set<string>();
  for (const configuration of ordered) {
    const where = `build.configurations[${configurationSpecs.indexOf(configuration)}]`;
    if (names.has(configuration.name)) {
      errors.push(`${file}: ${where}: the configuration name "${configuration.name}" is used twice.`);
      continue;
    }
    names.add(configuration.name);
    const existing =
      (isUuid(configuration.id) && existingConfigurations.find((c) => c.record.id === configuration.id!.toLowerCase())) ||
      existingConfigurations.find((c) => c.record.name === configuration.name);
    let planned: PlannedAction;
    if (existing) {
      keptConfigurations.set(existing.record.id, configuration.name);
      planned = add(changed({ resource: 'configuration', id: existing.record.id, name: configuration.name, within: inBuild, parents: buildParents, after: [] }, { name: configuration.name }, existing.record));
    } else {
      const id = idFor(configuration.id, where, buildId, 'configuration', configuration.name);
      // Agents deploy the first configuration: the others wait until the default exists.
      const after = [...underBuild, ...(configuration.default ? [] : createdKeys(defaultCreate))];
      planned = add({ action: 'create', resource: 'configuration', id, name: configuration.name, within: inBuild, parents: buildParents, after, fields: { id, name: configuration.name } });
      if (configuration.default) defaultCreate = planned;
    }
    planTasks(configuration.tasks, existing, planned, `${where}.tasks`);
  }

  function planTasks(tasks: TaskSpec[], existing: ConfigurationState | undefined, configuration: PlannedAction, where: string): void {
    const parents = [...buildParents, configuration.id];
    const within = `configuration "${configuration.name}"`;
    const kept = new Set<string>();
    const taskNames = new Set<string>();
    tasks.forEach((task, i) => {
      if (taskNames.has(task.name)) return void errors.push(`${file}: ${where}[${i}]: the task name "${task.name}" is used twice in ${within}.`);
      taskNames.add(task.name);
      const list = existing?.tasks ?? [];
      const match = (isUuid(task.id) && list.find((t) => t.id === task.id!.toLowerCase())) || list.find((t) => t.name === task.name);
      if (match) {
        kept.add(match.id);
        add(changed({ resource: 'task', id: match.id, name: task.name, within, parents, after: [] }, taskFields(task), match));
      } else {
        const id = idFor(task.id, `${where}[${i}]`, configuration.id, 'task', task.name);
        add({ action: 'create', resource: 'task', id, name: task.name, within, parents, after: createdKeys(configuration), fields: { id, ...taskFields(task) } });
      }
    });
    if (prune) {
      for (const task of existing?.tasks ?? []) {
        if (!kept.has(task.id)) add({ action: 'delete', resource: 'task', id: task.id, name: task.name, within, parents, after: [] });
      }
    }
  }

  const removedConfigurations = prune ? existingConfigurations.filter((c) => !keptConfigurations.has(c.record.id)) : [];
  // Deleting a configuration deletes its tasks with it (the server cascades).
  for (const { record } of removedConfigurations) add({ action: 'delete', resource: 'configuration', id: record.id, name: record.name, within: inBuild, parents: buildParents, after: [] });
  const remaining = existingConfigurations.filter((c) => !removedConfigurations.includes(c));
  const first = defaultConfiguration(remaining.map((c) => c.record));
  if (first && defaults.length === 1 && keptConfigurations.get(first.id) !== defaults[0]!.name) {
    errors.push(
      `Build ${buildSpec.version} already has configuration "${first.name}" first, which makes it the default, but ${file} makes "${defaults[0]!.name}" the default; the order cannot change, so publish a new version${keptConfigurations.has(first.id) || prune ? '' : ' (or remove the other configuration with --prune --force)'}.`,
    );
  }

  // Interfaces, then the build's exposures and dependencies of them.
  const interfaceAction = (use: InterfaceUse, where: string): PlannedAction | undefined => {
    const found = findInterface(state.interfaces, use);
    if (typeof use.interface === 'string') {
      if (!found) {
        errors.push(`${file}: ${where}: there is no interface with the id, name or URI "${use.interface}" in the marketplace; declare it in full (name, uri, version) to have it created.`);
        return undefined;
      }
    } else if (found && (found.name !== use.interface.name || found.version !== use.interface.version)) {
      warnings.push(`The interface ${found.uri} is "${found.name}" version ${found.version} in the marketplace, not "${use.interface.name}" version ${use.interface.version}; interfaces are shared, so a publish leaves it as it is.`);
    }
    if (found) return actions.find((a) => a.key === `interface:${found.id}`) ?? add({ action: 'unchanged', resource: 'interface', id: found.id, name: found.name, parents: [], after: [] });
    const declared = use.interface as Exclude<InterfaceUse['interface'], string>;
    const id = stableId('interface', declared.uri);
    return actions.find((a) => a.key === `interface:${id}`) ?? add({ action: 'create', resource: 'interface', id, name: declared.name, parents: [], after: [], fields: { id, name: declared.name, uri: declared.uri, version: declared.version } });
  };

  for (const kind of ['exposure', 'dependency'] as const) {
    const specs = kind === 'exposure' ? buildSpec.exposures : buildSpec.dependencies;
    const existingList = (kind === 'exposure' ? existingBuild?.exposures : existingBuild?.dependencies) ?? [];
    const kept = new Set<string>();
    const used = new Set<string>();
    specs.forEach((use, i) => {
      const where = `build.${kind === 'exposure' ? 'exposures' : 'dependencies'}[${i}]`;
      const iface = interfaceAction(use, `${where}.interface`);
      if (!iface) return;
      if (used.has(iface.id)) return void errors.push(`${file}: ${where}: the interface "${iface.name}" is listed twice.`);
      used.add(iface.id);
      const wanted = kind === 'exposure' ? { interface_id: iface.id } : dependencyFields(use, iface.id);
      const match = (isUuid(use.id) && existingList.find((e) => e.id === use.id!.toLowerCase())) || existingList.find((e) => e.interface_id === iface.id && !kept.has(e.id));
      let planned: PlannedAction;
      if (match) {
        kept.add(match.id);
        planned = add(changed({ resource: kind, id: match.id, name: iface.name, within: inBuild, parents: buildParents, after: createdKeys(iface) }, wanted, match));
      } else {
        const id = idFor(use.id, where, buildId, kind, iface.id);
        planned = add({ action: 'create', resource: kind, id, name: iface.name, within: inBuild, parents: buildParents, after: [...underBuild, ...createdKeys(iface)], fields: { id, ...wanted } });
      }
      if (kind === 'exposure') planParameters((use as { parameters?: ParameterSpec[] }).parameters ?? [], planned, `${where}.parameters`);
    });
    if (prune) {
      for (const record of existingList) {
        if (kept.has(record.id)) continue;
        const name = state.interfaces.find((i) => i.id === record.interface_id)?.name ?? record.interface_id;
        add({ action: 'delete', resource: kind, id: record.id, name, within: inBuild, parents: buildParents, after: [] });
      }
    }
  }

  /** The exposure's parameters, by name; with prune, those of the exposure the manifest does not list go. */
  function planParameters(specs: ParameterSpec[], exposure: PlannedAction, where: string): void {
    const parents = [...buildParents, exposure.id];
    const within = `exposure of "${exposure.name}"`;
    // A new exposure has no parameters yet; an existing one has those read with the build.
    const existing = exposure.action === 'create' ? [] : (existingBuild?.parameters ?? []).filter((p) => p.exposure_id === exposure.id);
    const kept = new Set<string>();
    const seen = new Set<string>();
    specs.forEach((parameter, i) => {
      if (seen.has(parameter.name)) return void errors.push(`${file}: ${where}[${i}]: the parameter name "${parameter.name}" is used twice in the ${within}.`);
      seen.add(parameter.name);
      const match = (isUuid(parameter.id) && existing.find((p) => p.id === parameter.id!.toLowerCase())) || existing.find((p) => p.name === parameter.name && !kept.has(p.id));
      if (match) {
        kept.add(match.id);
        add(changed({ resource: 'parameter', id: match.id, name: parameter.name, within, parents, after: [] }, parameterFields(parameter), match));
      } else {
        const id = idFor(parameter.id, `${where}[${i}]`, exposure.id, 'parameter', parameter.name);
        add({ action: 'create', resource: 'parameter', id, name: parameter.name, within, parents, after: createdKeys(exposure), fields: { id, ...parameterFields(parameter) } });
      }
    });
    if (prune) {
      for (const parameter of existing) {
        if (!kept.has(parameter.id)) add({ action: 'delete', resource: 'parameter', id: parameter.id, name: parameter.name, within, parents, after: [] });
      }
    }
  }

  // A build version is a release: refuse to change what it already holds.
  if (existingBuild) {
    const refused = actions.filter((a) => BUILD_PARTS.has(a.resource) && (a.action === 'update' || a.action === 'delete') && !pinsOnly(a));
    if (refused.length && !options.force) {
      // Named by the version the marketplace has: the manifest may be the one changing it.
      const version = existingBuild.record.version;
      for (const action of refused) errors.push(...immutabilityErrors(action, version, file, local.image));
      const keep = manifest.format === 'marketplace.json' ? `pass --version ${version}` : `keep build.version ${version}`;
      errors.push(
        version === buildSpec.version
          ? `Build ${version} is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.`
          : `Build ${version} is already in the marketplace under build id ${buildId}, and a version is an immutable release: ${keep}, give version ${buildSpec.version} a build id of its own, or pass --force to change it anyway.`,
      );
    } else if (refused.length) {
      warnings.push(`Changing build ${buildSpec.version}, which is already in the marketplace (--force): ${refused.length} ${refused.length === 1 ? 'change' : 'changes'}.`);
    }
  }

  if (options.publish) {
    const pending = actions.filter((a) => a.action !== 'unchanged').map((a) => a.key);
    const published = !!existingProduct?.published_at;
    add({ action: published ? 'unchanged' : 'create', resource: 'publication', id: productId, name: spec.name, parents: [], after: published ? [] : pending });
  }

  return {
    product: { id: productId, name: spec.name },
    build: { id: buildId, version: buildSpec.version, ...(local.image ? { image: local.image } : {}) },
    actions,
    warnings,
    errors,
  };
}

/** How many actions of each kind. */
export function summarize(actions: readonly Pick<PlannedAction, 'action'>[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const { action } of actions) summary[action]++;
  return summary;
}

/** An update carrying only the changed fields, or `unchanged`. */
function changed(action: Omit<PlannedAction, 'key' | 'action'>, wanted: WireFields, actual: object): Omit<PlannedAction, 'key'> {
  const changes = fieldChanges(wanted, actual);
  if (!changes.length) return { ...action, action: 'unchanged' };
  return { ...action, action: 'update', changes, fields: Object.fromEntries(changes.map((c) => [c.field, c.to])) };
}

/** A file on the server (`remote` digest, `null` when none) against the local one. */
function fileAction(action: Omit<PlannedAction, 'key' | 'action'>, remote: string | null, local: string): Omit<PlannedAction, 'key'> {
  if (remote === local) return { ...action, action: 'unchanged', after: [] };
  if (remote === null) return { ...action, action: 'create' };
  return { ...action, action: 'update', after: [], changes: [{ field: 'sha256', from: remote, to: local }] };
}

function findInterface(interfaces: Interface[], use: InterfaceUse): Interface | undefined {
  const wanted = use.interface;
  if (typeof wanted === 'string') {
    const id = wanted.toLowerCase();
    return interfaces.find((i) => i.id === id) ?? interfaces.find((i) => i.name === wanted) ?? interfaces.find((i) => i.uri === wanted);
  }
  return interfaces.find((i) => i.uri === wanted.uri) ?? interfaces.find((i) => i.name === wanted.name);
}

/** An update of a build that only records a digest where it had none: pinning, not changing. */
function pinsOnly(action: PlannedAction): boolean {
  const changes = action.changes ?? [];
  return action.resource === 'build' && action.action === 'update' && changes.length > 0 && changes.every((c) => c.field === 'container_digest' && (c.from === null || c.from === ''));
}

/** One sentence per difference inside an existing build. */
function immutabilityErrors(action: PlannedAction, version: string, file: string, image: ImagePin | undefined): string[] {
  const subject = action.resource === 'build' ? `Build ${version}` : `Build ${version}: ${describeTarget(action)}`;
  if (action.action === 'delete') return [`${subject} would be deleted (--prune).`];
  return (action.changes ?? []).map((change) => {
    if (change.field === 'sha256') return `${subject} differs from the one in the marketplace.`;
    if (change.field === 'container_digest' && image && change.to === image.digest) {
      const now = image.source === 'registry' ? `${image.reference} now points to ${image.digest}` : `${file} pins ${image.digest}`;
      return `${subject} runs the image ${String(change.from)} in the marketplace, but ${now}: the image of a published version changed.`;
    }
    return `${subject} has ${change.field} ${shortValue(change.from)} in the marketplace but ${shortValue(change.to)} in ${file}.`;
  });
}

/** `task "web" (configuration "default")`, `the asset`, `exposure of "FHIR R4"`. */
export function describeTarget(action: Pick<PlannedAction, 'resource' | 'name' | 'within'>): string {
  const label = RESOURCE_LABELS[action.resource];
  const named = action.resource === 'build' ? `build ${action.name}` : action.resource === 'asset' ? `the asset ${action.name}` : `${label} "${action.name}"`;
  const within = action.within && action.resource !== 'asset' && !action.within.startsWith('build ') ? ` (${action.within})` : '';
  return `${named}${within}`;
}

const RESOURCE_LABELS: Record<ResourceKind, string> = {
  product: 'product',
  license: 'license',
  product_license: 'license offer',
  logo: 'logo',
  screenshot: 'screenshot',
  build: 'build',
  asset: 'asset',
  interface: 'interface',
  configuration: 'configuration',
  task: 'task',
  exposure: 'exposure of',
  parameter: 'parameter',
  dependency: 'dependency on',
  publication: 'publication of',
};

/** A value for a sentence: JSON, cut short when long. */
export function shortValue(value: unknown, max = 40): string {
  if (value === null || value === undefined) return 'none';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export type { FieldChange };
