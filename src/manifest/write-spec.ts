/**
 * The model as the specification's `marketplace.json`, valid against hsp's corrected schema.
 * The format has no place for much of what hsp.yaml says (description, logo, screenshots,
 * licence expiry, configuration names, exposures and their parameters…): those are listed in `dropped`, by their
 * hsp.yaml names, so the CLI can say what a conversion leaves out.
 *
 * Ids the model leaves out are derived as `hsp publish` derives them (stable-id.ts), so the
 * file names the same product and build a publish of the manifest would create.
 */
import { defined } from './defined.js';
import { ManifestError } from './errors.js';
import { formatImageReference, registryOf } from './image-reference.js';
import type { DependencySpec, Manifest, TaskSpec } from './model.js';
import { checkSpecDocument, configurationName } from './spec-format.js';
import { isUuid, stableId } from './stable-id.js';

export interface SpecWriteResult {
  data: Record<string, unknown>;
  text: string;
  /** What the format cannot hold, as hsp.yaml names it: `product.description`, `build.exposures`… */
  dropped: string[];
}

/** The facts the specification lists, in its order; label keys beside them are kept as extra facts. */
const FACTS = ['organization', 'stewards', 'licensing', 'pricing', 'technology_mime_type', 'domain', 'cybersecurity', 'customer_service', 'data_access', 'identify_and_access_management', 'runtime_dependencies', 'networking'];
/** Label keys that are not facts. */
const NOT_FACTS = new Set(['provenance', 'build_dependency']);

export function writeSpecManifest(manifest: Manifest): SpecWriteResult {
  const { product, build } = manifest;
  const label = manifest.label ?? {};
  const cannot = (what: string) => new ManifestError([{ file: manifest.file, message: `cannot be written as marketplace.json: ${what}.` }]);
  if (!manifest.marketplaceUrl) throw cannot('it needs marketplace_url, and the manifest names no marketplace');
  if (!build.image) throw cannot('it needs a container image (product.build.binary), and build.image is not set');
  // The specification's schema requires a configuration with a task; hsp.yaml may leave them out.
  if (!build.configurations.length) throw cannot('the format needs at least one configuration with a task, and build.configurations leaves them out (the image runs as it is)');

  const dropped: string[] = [];
  const drop = (field: string, present: unknown) => {
    if (present !== undefined && !(Array.isArray(present) && present.length === 0)) dropped.push(field);
  };
  drop('product.description', product.description);
  drop('product.uri', product.uri);
  drop('product.support_url', product.supportUrl);
  drop('product.external_id', product.externalId);
  drop('product.locale', product.locale);
  drop('product.logo', product.logo);
  drop('product.screenshots', product.screenshots);
  product.licenses.forEach((l, i) => {
    for (const [key, value] of Object.entries({ id: l.id, expiry: l.expiry, days_valid: l.daysValid, expires_at: l.expiresAt, uses: l.uses, external_id: l.externalId })) drop(`product.licenses[${i}].${key}`, value);
  });
  if (build.version !== build.image.tag) dropped.push('build.version');
  drop('build.release_notes', build.releaseNotes);
  drop('build.content', build.content);
  drop('build.permissions', build.permissions);
  drop('build.exposures', build.exposures);

  const productId = isUuid(product.id) ? product.id : stableId('product', product.name);
  const buildId = isUuid(build.id) ? build.id : stableId(productId, 'build', build.version);
  const dependencies = dependencyLists(label, build.dependencies, (i) => dropped.push(`build.dependencies[${i}]`));

  const facts: Record<string, unknown> = { name: product.name };
  for (const key of FACTS) facts[key] = label[key] ?? [];
  facts.licensing = product.licenses.map((l) => defined({ name: l.name, url: l.url, terms: l.description }));
  facts.technology_mime_type = product.mimeType ?? '';
  facts.runtime_dependencies = dependencies.runtime;
  if (label.pricing === undefined) delete facts.pricing;
  for (const [key, value] of Object.entries(label)) if (!(key in facts) && !NOT_FACTS.has(key)) facts[key] = value;

  const data: Record<string, unknown> = {
    marketplace_url: manifest.marketplaceUrl,
    product: {
      uuid: productId,
      build: {
        uuid: buildId,
        binary: { registry: build.image.registry ?? registryOf(build.image.repository), image: formatImageReference(build.image) },
        dependency: dependencies.build,
      },
      facts,
    },
    configuration: build.configurations.map((configuration, c) => {
      if (configuration.name !== configurationName(configuration.default, c)) dropped.push(`build.configurations[${c}].name`);
      return {
        default: configuration.default,
        task: configuration.tasks.map((task, t) => {
          if (task.label !== undefined && task.label !== task.name) dropped.push(`build.configurations[${c}].tasks[${t}].name`);
          return taskData(task, configuration.id);
        }),
      };
    }),
    provenance: label.provenance ?? [],
  };

  // The label is free-form in hsp.yaml: what it holds must still fit the specification's facts.
  // Defects it brought from a marketplace.json (a data_access without uri) go back as they came.
  const [problem] = checkSpecDocument({ file: manifest.file, data, positionOf: () => undefined }).errors;
  if (problem) throw cannot(`the label does not fit its facts (${problem.message.replace(/\.$/, '')})`);
  return { data, text: `${JSON.stringify(data, null, 2)}\n`, dropped };
}

function taskData(task: TaskSpec, configurationId: string | undefined): Record<string, unknown> {
  return defined({
    id: task.id,
    configuration_id: configurationId,
    label: task.label ?? task.name,
    memory_minimum: task.memoryMinimum,
    memory_maximum: task.memoryMaximum,
    instances_minimum: task.instancesMinimum,
    instances_maximum: task.instancesMaximum,
    options: task.options.length ? task.options : undefined,
    ports: task.ports.length ? task.ports : undefined,
    cron: task.cron,
    environment: task.environment.length ? task.environment.map((v) => defined({ key: v.key, description: v.description, required: v.required, default: v.default, pattern: v.pattern })) : undefined,
  });
}

type RawDependency = Record<string, unknown> & { uuid?: unknown; interface_id?: unknown };

/**
 * The specification names the product a dependency is on (`uuid`), which the model does not
 * keep: entries come back from the label (where loading a marketplace.json put them), updated
 * from the model. A model dependency with no such entry has no product to name, and is dropped.
 */
function dependencyLists(label: Record<string, unknown>, dependencies: DependencySpec[], dropped: (index: number) => void): { runtime: RawDependency[]; build: RawDependency[] } {
  const entries = (value: unknown): RawDependency[] => (Array.isArray(value) ? value.filter((e): e is RawDependency => !!e && typeof e === 'object') : []);
  const byInterface = new Map<string, DependencySpec>();
  dependencies.forEach((dependency, i) => {
    if (typeof dependency.interface === 'string' && isUuid(dependency.interface)) byInterface.set(dependency.interface.toLowerCase(), dependency);
    else dropped(i);
  });
  const used = new Set<string>();
  const keep = (list: RawDependency[]) =>
    list.flatMap((entry): RawDependency[] => {
      // Entries loading skipped (no product or interface) go back as they were.
      if (!isUuid(entry.uuid as string | undefined) || !isUuid(entry.interface_id as string | undefined)) return [entry];
      const key = (entry.interface_id as string).toLowerCase();
      const dependency = byInterface.get(key);
      if (!dependency) return [];
      used.add(key);
      return [defined({ ...entry, id: dependency.id ?? entry.id, required: dependency.required ?? entry.required, mappings: dependency.mappings ? JSON.stringify(dependency.mappings) : entry.mappings })];
    });
  const result = { runtime: keep(entries(label.runtime_dependencies)), build: keep(entries(label.build_dependency)) };
  dependencies.forEach((dependency, i) => {
    if (typeof dependency.interface === 'string' && byInterface.has(dependency.interface.toLowerCase()) && !used.has(dependency.interface.toLowerCase())) dropped(i);
  });
  return result;
}
