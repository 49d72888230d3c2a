/**
 * `hsp.yaml`: hsp's own manifest, a friendlier YAML of the model that also holds what the
 * specification's file has no place for (description, logo, screenshots, licence expiry,
 * configuration names, exposures and their parameters, content). Checked against
 * schema/hsp.schema.json, then by the rules a schema cannot say (model-checks.ts). Every problem
 * is an error: this format is ours, so it has no legacy to be lenient with.
 */
import { resolve } from 'node:path';
import hspSchema from './schema/hsp.schema.json' with { type: 'json' };
import { defined } from './defined.js';
import { problemAt, type ManifestProblem } from './errors.js';
import type { FormatResult } from './format-result.js';
import { parseImageReference } from './image-reference.js';
import type { ConfigurationSpec, DependencySpec, ExposureSpec, ImageSpec, InterfaceSpec, LicenseSpec, Manifest, TaskSpec } from './model.js';
import { checkManifest, type ModelPath } from './model-checks.js';
import { describeSchemaErrors, schemaErrors } from './schema-validation.js';
import type { SourceDocument, SourcePath } from './source.js';

/** The document as the schema lets it through. */
interface HspYaml {
  marketplace_url?: string;
  product: {
    id?: string;
    name: string;
    description?: string;
    uri?: string;
    support_url?: string;
    mime_type?: string;
    external_id?: string;
    locale?: string;
    logo?: string;
    screenshots?: { id?: string; caption: string; file: string }[];
    licenses?: { id?: string; name: string; url: string; description?: string; expiry?: LicenseSpec['expiry']; days_valid?: number; expires_at?: string; uses?: number; external_id?: string }[];
  };
  build: {
    id?: string;
    version: string;
    release_notes?: string;
    image?: string | { registry?: string; repository: string; tag?: string; digest?: string };
    content?: string;
    permissions?: Record<string, unknown>;
    configurations?: { id?: string; name: string; default?: boolean; tasks: HspTask[] }[];
    exposures?: { id?: string; interface: string | InterfaceSpec; parameters?: { id?: string; name: string; required?: boolean }[] }[];
    dependencies?: { id?: string; interface: string | InterfaceSpec; required?: boolean; mappings?: Record<string, string> }[];
  };
  label?: Record<string, unknown>;
}

interface HspTask {
  id?: string;
  name: string;
  label?: string;
  ports?: number[];
  memory?: { minimum?: number; maximum?: number };
  instances?: { minimum?: number; maximum?: number };
  options?: string[];
  cron?: string;
  environment?: { key: string; description: string; required?: boolean; default?: string; pattern?: string }[];
}

/** Reads an hsp.yaml document; `dir` is its folder, against which its paths resolve. */
export async function readHspYaml(source: SourceDocument, dir: string): Promise<FormatResult> {
  if (source.data === null || source.data === undefined) {
    return { errors: [{ file: source.file, line: 1, column: 1, message: 'the manifest is empty; "hsp init" writes one to start from.' }], warnings: [] };
  }
  const schemaProblems = describeSchemaErrors(source, schemaErrors(hspSchema, source.data), 'yaml');
  if (schemaProblems.length) return { errors: schemaProblems, warnings: [] };

  const doc = source.data as HspYaml;
  const errors: ManifestProblem[] = [];
  const image = imageOf(doc.build.image, (message) => errors.push(problemAt(source.file, source.positionOf(['build', 'image']), message)));
  const configurations = doc.build.configurations ?? [];
  const manifest: Manifest = {
    file: source.file,
    format: 'hsp.yaml',
    ...(doc.marketplace_url !== undefined ? { marketplaceUrl: doc.marketplace_url } : {}),
    product: defined({
      id: doc.product.id,
      name: doc.product.name,
      description: doc.product.description,
      uri: doc.product.uri,
      supportUrl: doc.product.support_url,
      mimeType: doc.product.mime_type,
      externalId: doc.product.external_id,
      locale: doc.product.locale,
      licenses: (doc.product.licenses ?? []).map((l) =>
        defined({ id: l.id, name: l.name, url: l.url, description: l.description, expiry: l.expiry, daysValid: l.days_valid, expiresAt: l.expires_at, uses: l.uses, externalId: l.external_id }),
      ),
      logo: doc.product.logo === undefined ? undefined : resolve(dir, doc.product.logo),
      screenshots: (doc.product.screenshots ?? []).map((s) => defined({ id: s.id, caption: s.caption, file: resolve(dir, s.file) })),
    }),
    build: defined({
      id: doc.build.id,
      version: doc.build.version,
      releaseNotes: doc.build.release_notes,
      image,
      content: doc.build.content === undefined ? undefined : resolve(dir, doc.build.content),
      permissions: doc.build.permissions,
      // A single configuration is the default without saying so.
      configurations: configurations.map((c): ConfigurationSpec => defined({ id: c.id, name: c.name, default: c.default ?? configurations.length === 1, tasks: c.tasks.map(taskOf) })),
      exposures: (doc.build.exposures ?? []).map(
        (e): ExposureSpec => defined({ id: e.id, interface: e.interface, parameters: e.parameters?.map((p) => defined({ id: p.id, name: p.name, required: p.required })) }),
      ),
      dependencies: (doc.build.dependencies ?? []).map((d): DependencySpec => defined({ id: d.id, interface: d.interface, required: d.required, mappings: d.mappings })),
    }),
    ...(doc.label !== undefined ? { label: doc.label } : {}),
  };
  errors.push(...(await checkManifest(manifest, { source, locate: hspYamlPath })));
  return errors.length ? { errors, warnings: [] } : { manifest, errors, warnings: [] };
}

function imageOf(image: HspYaml['build']['image'], problem: (message: string) => void): ImageSpec | undefined {
  if (image === undefined) return undefined;
  if (typeof image === 'object') return defined({ registry: image.registry, repository: image.repository, tag: image.tag ?? 'latest', digest: image.digest });
  const parsed = parseImageReference(image);
  if ('problem' in parsed) {
    problem(`build.image ${JSON.stringify(image)} ${parsed.problem}.`);
    return undefined;
  }
  return parsed;
}

function taskOf(task: HspTask): TaskSpec {
  return defined({
    id: task.id,
    name: task.name,
    label: task.label,
    memoryMinimum: task.memory?.minimum,
    memoryMaximum: task.memory?.maximum,
    instancesMinimum: task.instances?.minimum,
    instancesMaximum: task.instances?.maximum,
    options: task.options ?? [],
    ports: task.ports ?? [],
    cron: task.cron,
    environment: (task.environment ?? []).map((v) => defined({ key: v.key, description: v.description, required: v.required, default: v.default, pattern: v.pattern })),
  });
}

const NESTED: Record<string, SourcePath> = {
  memoryMinimum: ['memory', 'minimum'],
  memoryMaximum: ['memory', 'maximum'],
  instancesMinimum: ['instances', 'minimum'],
  instancesMaximum: ['instances', 'maximum'],
};

/** Model paths are hsp.yaml's paths in camelCase, but for the memory and instance ranges. */
export function hspYamlPath(path: ModelPath): SourcePath {
  return path.flatMap((segment) => (typeof segment === 'number' ? [segment] : (NESTED[segment] ?? [segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)])));
}
