/**
 * The specification's manifest, `marketplace.json` (HL7 HSP Marketplace product packaging,
 * metadata/schema/build.json), checked against hsp's corrected copy of its schema
 * (schema/marketplace.schema.json) and mapped onto the model as spec.md §7.4 suggests.
 *
 * Real files, the specification's own examples first, break that schema in a few known ways.
 * By default those are warnings, and the model leaves the broken value out (a task id that is
 * not a UUID gets a fresh id when published); with `strict` they are errors. Everything else the
 * schema rejects is an error in both modes.
 */
import specSchema from './schema/marketplace.schema.json' with { type: 'json' };
import { defined } from './defined.js';
import { problemAt, type ManifestProblem } from './errors.js';
import type { FormatResult } from './format-result.js';
import { parseImageReference } from './image-reference.js';
import type { ConfigurationSpec, DependencySpec, LoadOptions, Manifest, TaskSpec } from './model.js';
import { checkManifest, type ModelPath } from './model-checks.js';
import { describeSchemaError, fieldName, schemaErrors, sortProblems, type SchemaError } from './schema-validation.js';
import { pathFromPointer, type SourceDocument, type SourcePath } from './source.js';

/** The document as the (lenient reading of the) schema lets it through. */
interface SpecManifest {
  marketplace_url: string;
  product: {
    uuid: string;
    build: { uuid: string; binary: { registry: string; image: string }; dependency?: SpecDependency[] };
    facts: Record<string, unknown> & { name: string; licensing: { name: string; url: string; terms?: string }[]; technology_mime_type: string; runtime_dependencies: SpecDependency[] };
  };
  configuration: { default?: boolean; task: SpecTask[] }[];
  provenance: Record<string, unknown>[];
}

interface SpecDependency {
  uuid?: string;
  build?: string[];
  id?: string;
  interface_id?: string;
  required?: boolean;
  mappings?: string;
}

interface SpecTask {
  id?: string;
  configuration_id?: string;
  label: string;
  memory_minimum?: number;
  memory_maximum?: number;
  instances_minimum?: number;
  instances_maximum?: number;
  options?: string[];
  ports?: number[];
  cron?: string;
  environment?: { key: string; description: string; required?: boolean; default?: string; pattern?: string }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CRON = new RegExp(specSchema.$defs.task.properties.cron.pattern);
/** The facts the model holds itself; the others go to `label` as they are. */
const MODELLED_FACTS = new Set(['name', 'technology_mime_type', 'licensing']);

export async function readSpecManifest(source: SourceDocument, options: LoadOptions = {}): Promise<FormatResult> {
  const { errors, warnings } = checkSpecDocument(source, options);
  const at = (path: SourcePath, message: (field: string) => string): ManifestProblem => problemAt(source.file, source.positionOf(path), message(fieldName(path, source.data)));
  const data = source.data as Partial<SpecManifest> | null;
  const dependencyLists = dependencyListsOf(data);

  const sorted = () => ({ errors: sortProblems(options.strict ? [...errors, ...warnings] : errors), warnings: options.strict ? [] : sortProblems(warnings) });
  if (errors.length) return sorted();

  const doc = data as SpecManifest;
  const image = parseImageReference(doc.product.build.binary.image);
  if ('problem' in image) {
    errors.push(at(['product', 'build', 'binary', 'image'], (f) => `${f} ${JSON.stringify(doc.product.build.binary.image)} ${image.problem}.`));
    return sorted();
  }
  const { facts } = doc.product;
  const single = doc.configuration.length === 1;
  const firstDefault = doc.configuration.findIndex((c) => c.default ?? single);
  const manifest: Manifest = {
    file: source.file,
    format: 'marketplace.json',
    marketplaceUrl: doc.marketplace_url,
    product: defined({
      id: doc.product.uuid,
      name: facts.name,
      mimeType: facts.technology_mime_type || undefined,
      // A licence's `terms` (text) is what the marketplace calls its description.
      licenses: facts.licensing.map((l) => defined({ name: l.name, url: l.url, description: l.terms || undefined })),
      screenshots: [],
    }),
    build: defined({
      id: doc.product.build.uuid,
      version: options.version ?? image.tag,
      image: { registry: doc.product.build.binary.registry, ...image },
      configurations: doc.configuration.map(
        (c, i): ConfigurationSpec =>
          defined({
            // The tasks say which configuration they belong to; the first valid id wins.
            id: c.task.map((t) => t.configuration_id).find(isUuid),
            // A second default is an error below; it still needs a name of its own.
            name: configurationName((c.default ?? single) && i === firstDefault, i),
            default: c.default ?? single,
            tasks: c.task.map(taskOf),
          }),
      ),
      exposures: [],
      dependencies: usableDependencies(dependencyLists),
    }),
  };
  const label = labelOf(doc);
  if (label) manifest.label = label;
  errors.push(...(await checkManifest(manifest, { source, locate: specPath })));
  const result = sorted();
  return result.errors.length ? result : { manifest, ...result };
}

/**
 * The document against the corrected schema: errors, and the known defects as warnings (as
 * errors with `strict`). Also how a written file is checked (write-spec.ts): a defect that came
 * in with a file goes back out with it.
 */
export function checkSpecDocument(source: SourceDocument, options: LoadOptions = {}): { errors: ManifestProblem[]; warnings: ManifestProblem[] } {
  const warnings: ManifestProblem[] = [];
  const errors: ManifestProblem[] = [];
  const at = (path: SourcePath, message: (field: string) => string): ManifestProblem => problemAt(source.file, source.positionOf(path), message(fieldName(path, source.data)));
  // A defect says what lenient loading does about it; as an error (strict) that would be untrue.
  const defectAt = (path: SourcePath, problem: (field: string) => string, consequence?: string): ManifestProblem =>
    at(path, (f) => `${problem(f)}${consequence && !options.strict ? `; ${consequence}` : ''}.`);

  const data = source.data as Partial<SpecManifest> | null;
  const dependencyLists = dependencyListsOf(data);
  for (const error of schemaErrors(specSchema, source.data)) {
    if (isDependencyIdentity(error, dependencyLists)) continue;
    const defect = knownDefect(error, data, defectAt);
    if (defect) warnings.push(defect);
    else errors.push(describeSchemaError(source, error, 'json'));
  }
  warnings.push(...pricingSpelling(data, defectAt));
  // Entries without a product and an interface say nothing hsp could publish: told once each.
  for (const [list, entries] of dependencyLists) {
    entries.forEach((entry, i) => {
      const problem = dependencyProblem(entry);
      if (problem) warnings.push(defectAt([...list, i], (f) => `${f} ${problem}`, 'the dependency is skipped'));
      else if (typeof entry.mappings === 'string') {
        const mappings = parseMappings(entry.mappings);
        if ('problem' in mappings) warnings.push(defectAt([...list, i, 'mappings'], (f) => `${f} ${mappings.problem}`, 'it is left out'));
      }
    });
  }
  return { errors, warnings };
}

/** The configurations have no names in this format: "default", else by position. */
export function configurationName(isDefault: boolean, index: number): string {
  return isDefault ? 'default' : `configuration-${index + 1}`;
}

/** A schema error that is one of the known defects of real files, as a warning; else undefined. */
type DefectAt = (path: SourcePath, problem: (field: string) => string, consequence?: string) => ManifestProblem;

function knownDefect(error: SchemaError, data: Partial<SpecManifest> | null, at: DefectAt): ManifestProblem | undefined {
  const path = pathFromPointer(error.instancePath);
  const shape = path.map((segment) => (/^\d+$/.test(segment) ? '#' : segment)).join('/');
  const value = JSON.stringify(error.data);
  const params = error.params as Record<string, unknown>;
  switch (`${error.keyword} ${shape}`) {
    case 'format configuration/#/task/#/id':
      return at(path, (f) => `${f} ${value} is not a UUID`, 'the task gets a new id when published');
    case 'format configuration/#/task/#/configuration_id':
      return at(path, (f) => `${f} ${value} is not a UUID`, 'it is not used');
    case 'pattern configuration/#/task/#/cron':
      return at(path, (f) => `${f} ${value} is not a cron schedule (such as "0 0 * * *")`, 'it is left out');
    case 'format provenance/#/datetime':
      return at(path, (f) => `${f} ${value} is not an ISO 8601 date and time (such as 2021-11-30T15:18:37-07:00)`);
    case 'format $schema':
      return at(path, (f) => `${f} ${value} is not a URI`, "hsp checks the file against its own corrected copy of the specification's schema");
    case 'required product/facts/data_access/#':
      return params.missingProperty === 'uri' ? at(path, (f) => `${f} has no uri`) : undefined;
    case 'enum product/facts/pricing/#/measure':
      return error.data === '' ? at(path, (f) => `${f} is empty instead of one of ${(error.schema as string[]).join(', ')}`) : undefined;
    case 'required configuration/#':
      return params.missingProperty === 'default' && data?.configuration?.length === 1 ? at(path, (f) => `${f} does not say "default": true`, 'as the only configuration it is the default') : undefined;
    default:
      return undefined;
  }
}

/** `maintenance` is accepted, but the published schema spells it `maintainence`, and tools that use that schema reject it. */
function pricingSpelling(data: Partial<SpecManifest> | null, at: DefectAt): ManifestProblem[] {
  const pricing = data?.product?.facts?.pricing;
  if (!Array.isArray(pricing)) return [];
  return pricing.flatMap((entry, i) =>
    (entry as { kind?: unknown })?.kind === 'maintenance'
      ? [at(['product', 'facts', 'pricing', i, 'kind'], (f) => `${f} "maintenance" is spelled "maintainence" in the specification's schema, so tools that check against it reject this file`)]
      : [],
  );
}

type DependencyLists = [SourcePath, SpecDependency[]][];

/** Dependencies are in the facts (`runtime_dependencies`) and in the build (`dependency`, undefined by the specification). */
function dependencyListsOf(data: Partial<SpecManifest> | null): DependencyLists {
  const lists: DependencyLists = [];
  const objects = (value: unknown) => (Array.isArray(value) ? value.filter((e): e is SpecDependency => !!e && typeof e === 'object' && !Array.isArray(e)) : []);
  if (Array.isArray(data?.product?.facts?.runtime_dependencies)) lists.push([['product', 'facts', 'runtime_dependencies'], objects(data.product.facts.runtime_dependencies)]);
  if (Array.isArray(data?.product?.build?.dependency)) lists.push([['product', 'build', 'dependency'], objects(data.product.build.dependency)]);
  return lists;
}

/** Schema errors about a dependency's product or interface: dependencyProblem says them once per entry. */
function isDependencyIdentity(error: SchemaError, lists: DependencyLists): boolean {
  const path = pathFromPointer(error.instancePath);
  const pointer = (segments: readonly (string | number)[]) => segments.map(String).join('/');
  return lists.some(([list]) => {
    if (pointer(path.slice(0, list.length)) !== pointer(list) || !/^\d+$/.test(path[list.length] ?? '')) return false;
    const rest = path.slice(list.length + 1);
    if (rest.length === 0) return error.keyword === 'required' && (error.params as { missingProperty?: string }).missingProperty === 'uuid';
    return rest.length === 1 && error.keyword === 'format' && (rest[0] === 'uuid' || rest[0] === 'interface_id');
  });
}

function dependencyProblem(entry: SpecDependency): string | undefined {
  if (!isUuid(entry.uuid)) return entry.uuid === undefined || entry.uuid === '' ? 'names no product (uuid)' : `uuid ${JSON.stringify(entry.uuid)} is not a UUID`;
  if (entry.interface_id === undefined) return 'has no interface_id, so there is no interface to depend on';
  if (!isUuid(entry.interface_id)) return `interface_id ${JSON.stringify(entry.interface_id)} is not a UUID`;
  return undefined;
}

function usableDependencies(lists: DependencyLists): DependencySpec[] {
  const seen = new Set<string>();
  const result: DependencySpec[] = [];
  for (const [, entries] of lists) {
    for (const entry of entries) {
      if (dependencyProblem(entry) || seen.has(entry.interface_id!)) continue;
      seen.add(entry.interface_id!);
      const mappings = typeof entry.mappings === 'string' ? parseMappings(entry.mappings) : undefined;
      result.push(defined({ id: isUuid(entry.id) ? entry.id : undefined, interface: entry.interface_id!, required: entry.required, mappings: mappings && 'value' in mappings ? mappings.value : undefined }));
    }
  }
  return result;
}

const VARIABLE_NAME = /^[A-Z0-9_]+$/;

/**
 * `mappings` is text in this format and an object in the API and hsp.yaml: JSON text of an
 * object of variable names (`[A-Z0-9_]+`) to sources (text), or what is wrong with it.
 */
function parseMappings(text: string): { value: Record<string, string> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not a JSON object written as text' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { problem: 'is not a JSON object written as text' };
  for (const [name, source] of Object.entries(value)) {
    if (!VARIABLE_NAME.test(name)) return { problem: `maps ${JSON.stringify(name)}, which is not a variable name of upper-case letters, digits and underscores` };
    if (typeof source !== 'string') return { problem: `maps ${name} to ${JSON.stringify(source)}, which is not text (a parameter name, url, host, port, or a template such as "http://{host}:{port}/fhir")` };
  }
  return { value: value as Record<string, string> };
}

function taskOf(task: SpecTask): TaskSpec {
  return defined({
    id: isUuid(task.id) ? task.id : undefined,
    name: task.label,
    memoryMinimum: task.memory_minimum,
    memoryMaximum: task.memory_maximum,
    instancesMinimum: task.instances_minimum,
    instancesMaximum: task.instances_maximum,
    options: task.options ?? [],
    ports: task.ports ?? [],
    cron: task.cron !== undefined && CRON.test(task.cron) ? task.cron : undefined,
    environment: (task.environment ?? []).map((v) => defined({ key: v.key, description: v.description, required: v.required, default: v.default, pattern: v.pattern })),
  });
}

/** The facts the model has no field for, and the provenance, as they are (empty lists left out). */
function labelOf(doc: SpecManifest): Record<string, unknown> | undefined {
  const label: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.product.facts)) {
    if (!MODELLED_FACTS.has(key) && !(Array.isArray(value) && value.length === 0)) label[key] = value;
  }
  if (doc.product.build.dependency?.length) label.build_dependency = doc.product.build.dependency;
  if (doc.provenance.length) label.provenance = doc.provenance;
  return Object.keys(label).length ? label : undefined;
}

/** Where a model value sits in this format, for model-checks.ts. */
export function specPath(path: ModelPath): SourcePath | undefined {
  const [part, list, index, ...rest] = path;
  if (part === 'product') return list === 'licenses' && index !== undefined ? ['product', 'facts', 'licensing', index, ...rest] : list === undefined ? ['product'] : undefined;
  if (part !== 'build' || list !== 'configurations') return undefined;
  if (index === undefined) return ['configuration'];
  const [field, task, ...taskRest] = rest;
  if (field !== 'tasks' || task === undefined) return field === 'default' ? ['configuration', index, 'default'] : ['configuration', index];
  const [taskField, ...deeper] = taskRest;
  if (taskField === undefined) return ['configuration', index, 'task', task];
  const name = taskField === 'name' ? 'label' : String(taskField).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return ['configuration', index, 'task', task, name, ...deeper];
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
