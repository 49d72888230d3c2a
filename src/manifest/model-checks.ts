/**
 * The rules a JSON Schema cannot say, checked on the loaded model whatever its format: names the
 * planner matches records by (task names, variable keys, exposure parameters) must be unique,
 * ranges must be ranges, exactly one configuration is the default (when there are any), and the
 * files the manifest names must exist. Each format says where a model value sits in its file
 * (`locate`), so problems point at the source.
 */
import { stat } from 'node:fs/promises';
import { isSha256Digest } from '../oci/digest.js';
import { problemAt, type ManifestProblem } from './errors.js';
import type { Manifest } from './model.js';
import { fieldName, sortProblems } from './schema-validation.js';
import type { SourceDocument, SourcePath } from './source.js';

/** A place in the model: `['build', 'configurations', 0, 'tasks', 1, 'memoryMinimum']`. */
export type ModelPath = readonly (string | number)[];

export interface ModelLocator {
  source: SourceDocument;
  /** Where a model value came from in the file; undefined when the format has no such field. */
  locate(path: ModelPath): SourcePath | undefined;
}

export async function checkManifest(manifest: Manifest, locator: ModelLocator): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  const report = (path: ModelPath, message: (field: string, written: unknown) => string) => {
    const source = locator.locate(path) ?? [];
    problems.push(problemAt(locator.source.file, locator.source.positionOf(source), message(fieldName(source, locator.source.data), valueAt(locator.source.data, source))));
  };
  const { product, build } = manifest;

  unique(product.licenses.map((l) => l.url), (i, url) => report(['product', 'licenses', i, 'url'], (f) => `${f} ${JSON.stringify(url)} is listed twice; each licence needs its own URL.`));
  unique(product.screenshots.map((s) => s.caption), (i, caption) => report(['product', 'screenshots', i, 'caption'], (f) => `${f} ${JSON.stringify(caption)} is used twice; screenshot captions must be unique.`));
  unique(build.configurations.map((c) => c.name), (i, name) => report(['build', 'configurations', i, 'name'], (f) => `${f} ${JSON.stringify(name)} is used twice; configuration names must be unique.`));

  const defaults = build.configurations.flatMap((c, i) => (c.default ? [i] : []));
  if (build.configurations.length && defaults.length === 0) report(['build', 'configurations'], (f) => `${f} has no default configuration; mark exactly one with default: true.`);
  for (const extra of defaults.slice(1)) report(['build', 'configurations', extra, 'default'], (f) => `${f} makes a second default configuration; exactly one may be the default.`);

  const digest = build.image?.digest;
  if (digest !== undefined && !isSha256Digest(digest)) {
    report(['build', 'image'], (f) => `${f} pins the digest ${JSON.stringify(digest)}; the marketplace records SHA-256 digests only ("sha256:" and 64 lowercase hexadecimal digits).`);
  }

  build.configurations.forEach((configuration, c) => {
    const at = (t: number, ...rest: (string | number)[]): ModelPath => ['build', 'configurations', c, 'tasks', t, ...rest];
    unique(configuration.tasks.map((t) => t.name), (t, name) => report(at(t, 'name'), (f) => `${f} ${JSON.stringify(name)} is used twice in configuration ${JSON.stringify(configuration.name)}; task names must be unique within a configuration.`));
    configuration.tasks.forEach((task, t) => {
      for (const [low, high, what] of RANGES) {
        const [min, max] = [task[low], task[high]];
        if (min !== undefined && max !== undefined && min > max) report(at(t, low), (f) => `${f} (${min}) is more than the ${what} maximum (${max}).`);
      }
      unique(task.environment.map((v) => v.key), (v, key) => report(at(t, 'environment', v, 'key'), (f) => `${f} ${key} is declared twice in this task.`));
      task.environment.forEach((variable, v) => {
        if (variable.pattern === undefined) return;
        let pattern: RegExp;
        try {
          pattern = new RegExp(variable.pattern);
        } catch (error) {
          report(at(t, 'environment', v, 'pattern'), (f) => `${f} is not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')}).`);
          return;
        }
        if (variable.default !== undefined && !pattern.test(variable.default)) report(at(t, 'environment', v, 'default'), (f) => `${f} ${JSON.stringify(variable.default)} does not match its own pattern ${variable.pattern}.`);
      });
    });
  });

  build.exposures.forEach((exposure, e) => {
    const names = (exposure.parameters ?? []).map((p) => p.name);
    unique(names, (p, name) => report(['build', 'exposures', e, 'parameters', p, 'name'], (f) => `${f} ${name} is declared twice in this exposure; parameter names must be unique within an exposure.`));
  });

  const paths: [ModelPath, string | undefined, 'file' | 'folder'][] = [
    [['product', 'logo'], product.logo, 'file'],
    ...product.screenshots.map((s, i): [ModelPath, string, 'file'] => [['product', 'screenshots', i, 'file'], s.file, 'file']),
    [['build', 'content'], build.content, 'folder'],
  ];
  for (const [path, absolute, kind] of paths) {
    if (absolute === undefined) continue;
    const found = await kindOf(absolute);
    // Said as written in the manifest: the absolute path is this machine's business.
    if (found === 'missing') report(path, (f, written) => `${f} ${JSON.stringify(written)} does not exist (paths are relative to the manifest's folder).`);
    else if (found !== kind) report(path, (f, written) => `${f} ${JSON.stringify(written)} is a ${found}, not a ${kind}.`);
  }
  return sortProblems(problems);
}

const RANGES: ['memoryMinimum' | 'instancesMinimum', 'memoryMaximum' | 'instancesMaximum', string][] = [
  ['memoryMinimum', 'memoryMaximum', 'memory'],
  ['instancesMinimum', 'instancesMaximum', 'instances'],
];

/** Calls `duplicate` for each value seen before (its index and the value). */
function unique(values: string[], duplicate: (index: number, value: string) => void): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) duplicate(index, value);
    seen.add(value);
  });
}

async function kindOf(path: string): Promise<'file' | 'folder' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

function valueAt(data: unknown, path: SourcePath): unknown {
  let value = data;
  for (const segment of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[String(segment)] : undefined;
  return value;
}
