/**
 * The model as `hsp.yaml` text: a commented header, keys in a fixed order (so a conversion or
 * `hsp init` gives the same file every time and diffs stay small), and paths relative to the
 * folder the file is written to.
 */
import { relative, sep } from 'node:path';
import { Document, isMap, isScalar, visit, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { defined } from './defined.js';
import { formatImageReference } from './image-reference.js';
import type { InterfaceUse, Manifest, TaskSpec } from './model.js';

export interface HspYamlWriteOptions {
  /** The folder the file goes to; the manifest's paths are written relative to it. */
  dir: string;
  /** The file it was converted from, for the header. */
  convertedFrom?: string;
  /** How the header's commands name the file (default `hsp.yaml`, the name `hsp publish` looks for). */
  fileName?: string;
  /** Explain each section in comments, and list the optional keys left out (for a new manifest). */
  explain?: boolean;
}

export function writeHspYaml(manifest: Manifest, options: HspYamlWriteOptions): string {
  const doc = new Document(hspYamlData(manifest, options.dir));
  const header = [
    ' hsp.yaml: a product, and one build of it, for an HL7 HSP Marketplace.',
    ...(options.convertedFrom ? [` Converted from ${options.convertedFrom} by "hsp manifest convert".`] : []),
    ` Check it with "hsp manifest validate ${options.fileName ?? 'hsp.yaml'}"; publish it with "hsp publish ${options.fileName ?? 'hsp.yaml'}".`,
    " Paths are relative to this file's folder.",
  ];
  doc.commentBefore = header.join('\n');
  visit(doc, {
    // Short lists of numbers and words read best on one line: `ports: [80, 443]`.
    Seq(_, seq) {
      if (seq.items.length && seq.items.every((item) => isScalar(item) && String(item.value).length < 40)) seq.flow = true;
    },
  });
  const root = doc.contents as YAMLMap;
  for (const key of ['build', 'label']) {
    const pair = pairOf(root, key);
    if (pair) (pair.key as Scalar).spaceBefore = true;
  }
  if (options.explain) explain(doc, manifest);
  const text = doc.toString({ lineWidth: 0 });
  // A trailing comment is written without the final line break.
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The document as plain data, keys in the order they are written. */
function hspYamlData(manifest: Manifest, dir: string): Record<string, unknown> {
  const { product, build } = manifest;
  const path = (absolute: string | undefined) => (absolute === undefined ? undefined : relativePath(dir, absolute));
  const list = <T>(items: T[]) => (items.length ? items : undefined);
  const single = build.configurations.length === 1;
  return defined({
    marketplace_url: manifest.marketplaceUrl,
    product: defined({
      id: product.id,
      name: product.name,
      description: product.description,
      uri: product.uri,
      support_url: product.supportUrl,
      mime_type: product.mimeType,
      external_id: product.externalId,
      locale: product.locale,
      logo: path(product.logo),
      screenshots: list(product.screenshots.map((s) => defined({ id: s.id, caption: s.caption, file: path(s.file) }))),
      licenses: list(
        product.licenses.map((l) =>
          defined({ id: l.id, name: l.name, url: l.url, description: l.description, expiry: l.expiry, days_valid: l.daysValid, expires_at: l.expiresAt, uses: l.uses, external_id: l.externalId }),
        ),
      ),
    }),
    build: defined({
      id: build.id,
      version: build.version,
      release_notes: build.releaseNotes,
      image: build.image && (build.image.registry ? defined({ registry: build.image.registry, repository: build.image.repository, tag: build.image.tag, digest: build.image.digest }) : formatImageReference(build.image)),
      content: path(build.content),
      permissions: build.permissions,
      configurations: list(
        build.configurations.map((c) =>
          defined({
            id: c.id,
            name: c.name,
            // A single configuration is the default without saying so.
            default: single && c.default ? undefined : c.default || undefined,
            tasks: c.tasks.map(taskData),
          }),
        ),
      ),
      exposures: list(
        build.exposures.map((e) => defined({ id: e.id, interface: interfaceData(e), parameters: e.parameters && list(e.parameters.map((p) => defined({ id: p.id, name: p.name, required: p.required }))) })),
      ),
      dependencies: list(build.dependencies.map((d) => defined({ id: d.id, interface: interfaceData(d), required: d.required, mappings: d.mappings }))),
    }),
    label: manifest.label && Object.keys(manifest.label).length ? manifest.label : undefined,
  });
}

function taskData(task: TaskSpec): Record<string, unknown> {
  const range = (minimum: number | undefined, maximum: number | undefined) => (minimum === undefined && maximum === undefined ? undefined : defined({ minimum, maximum }));
  return defined({
    id: task.id,
    name: task.name,
    label: task.label,
    ports: task.ports.length ? task.ports : undefined,
    memory: range(task.memoryMinimum, task.memoryMaximum),
    instances: range(task.instancesMinimum, task.instancesMaximum),
    options: task.options.length ? task.options : undefined,
    cron: task.cron,
    environment: task.environment.length ? task.environment.map((v) => defined({ key: v.key, description: v.description, required: v.required, default: v.default, pattern: v.pattern })) : undefined,
  });
}

function interfaceData(use: InterfaceUse): unknown {
  return typeof use.interface === 'string' ? use.interface : { name: use.interface.name, uri: use.interface.uri, version: use.interface.version };
}

/** `./logo.png`, `../shared/logo.png`: relative, with forward slashes on every system. */
function relativePath(dir: string, absolute: string): string {
  const path = relative(dir, absolute).split(sep).join('/');
  if (path === '') return '.';
  return path.startsWith('../') || path === '..' ? path : `./${path}`;
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

/** Comments for someone reading the file for the first time, and the optional keys left out. */
function explain(doc: Document, manifest: Manifest): void {
  const comment = (path: string[], text: string) => {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (!isMap(parent)) return;
    const pair = pairOf(parent, path.at(-1)!);
    if (pair) (pair.key as Scalar).commentBefore = text;
  };
  comment(['product'], ' The product as the marketplace lists it. Its id keeps it the same product when the name changes.');
  comment(['build'], ' One release of the product. A published version is immutable: change the version to publish again.');
  comment(['build', 'image'], ' The container image agents run (repository:tag).');
  comment(['build', 'content'], ' A folder, packed into a .tgz and uploaded as the build\'s asset.');
  comment(['build', 'configurations'], ' How the build runs. Agents deploy the default configuration (a single one is the default).');
  const product = doc.get('product', true) as Node;
  const build = doc.get('build', true) as Node;
  const missing = (present: object, suggestions: [string, string][]) => suggestions.filter(([key]) => !(key in present)).map(([, line]) => ` ${line}`);
  const data = hspYamlData(manifest, '.');
  const productKeys = data.product as object;
  const buildKeys = data.build as object;
  const productHints = missing(productKeys, [
    ['description', 'description: What it does, for the marketplace listing.'],
    ['uri', 'uri: https://example.org/product'],
    ['support_url', 'support_url: https://example.org/support'],
    ['logo', 'logo: ./logo.png'],
    ['screenshots', 'screenshots: [{caption: The main screen, file: ./screenshot.png}]'],
    ['licenses', 'licenses: [{name: Apache 2.0, url: https://www.apache.org/licenses/LICENSE-2.0}]'],
  ]);
  const buildHints = missing(buildKeys, [
    ['release_notes', 'release_notes: What changed in this version.'],
    ['image', 'image: registry.example.org/team/app:1.0.0'],
    ['content', 'content: ./content'],
    ['exposures', 'exposures: [{interface: {name: FHIR R4, uri: http://hl7.org/fhir/R4, version: 4.0.1}, parameters: [{name: FHIR_BASE_PATH}]}]'],
    ['dependencies', 'dependencies: [{interface: FHIR R4, required: true, mappings: {FHIR_BASE_URL: url}}]'],
  ]);
  if (isMap(product) && productHints.length) product.comment = [' Optional:', ...productHints].join('\n');
  if (isMap(build) && buildHints.length) build.comment = [' Optional:', ...buildHints].join('\n');
  const tasks = doc.getIn(['build', 'configurations', 0, 'tasks', 0], true);
  if (isMap(tasks)) tasks.comment = ' More: ports: [8080], memory: {minimum: 128, maximum: 512} (MiB), instances: {minimum: 1},\n environment: [{key: LOG_LEVEL, description: How much to log, default: info}], cron: "0 3 * * *"';
}
