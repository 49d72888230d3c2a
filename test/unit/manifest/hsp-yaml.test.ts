/**
 * hsp.yaml: what loads into which model, and every kind of error with its file, line and column.
 * Each manifest is a real file in a temporary folder, so relative paths resolve as for a user.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError, type ManifestProblem } from '../../../src/manifest/errors.js';
import { loadManifest } from '../../../src/manifest/load.js';

const scratch = mkdtempSync(join(tmpdir(), 'hsp-yaml-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;

/** Writes `text` as hsp.yaml (and `files` beside it) in a fresh folder; returns the manifest's path. */
function manifestFile(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, `${++folders}-`));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    if (content === '/') mkdirSync(join(dir, name), { recursive: true });
    else writeFileSync(join(dir, name), content);
  }
  writeFileSync(join(dir, 'hsp.yaml'), text);
  return join(dir, 'hsp.yaml');
}

async function problems(text: string, files: Record<string, string> = {}): Promise<{ file: string; problems: Omit<ManifestProblem, 'file'>[]; error: ManifestError }> {
  const file = manifestFile(text, files);
  const error = await loadManifest(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestError);
  const manifestError = error as ManifestError;
  for (const problem of manifestError.problems) expect(problem.file).toBe(file);
  return { file, problems: manifestError.problems.map(({ file: _file, ...rest }) => rest), error: manifestError };
}

const MINIMAL = `product:
  name: Growth Chart
build:
  version: 1.0.0
  configurations:
    - name: default
      tasks:
        - name: web
`;

describe('hsp.yaml: what loads', () => {
  it('a minimal manifest: a single configuration is the default without saying so', async () => {
    const file = manifestFile(MINIMAL);
    const { manifest, warnings } = await loadManifest(file);
    expect(warnings).toEqual([]);
    expect(manifest).toEqual({
      file,
      format: 'hsp.yaml',
      product: { name: 'Growth Chart', licenses: [], screenshots: [] },
      build: {
        version: '1.0.0',
        configurations: [{ name: 'default', default: true, tasks: [{ name: 'web', options: [], ports: [], environment: [] }] }],
        exposures: [],
        dependencies: [],
      },
    });
  });

  it('every field, with paths made absolute against the manifest\'s folder', async () => {
    const file = manifestFile(
      `marketplace_url: https://marketplace.example.org
product:
  id: 0bd4e587-e0cf-47ad-9314-ae580873fbae
  name: Growth Chart
  description: Charts growth.
  uri: https://example.org/app
  support_url: https://example.org/help
  mime_type: application/smart.v1
  external_id: GC-1
  locale: en-US
  logo: ./art/logo.png
  screenshots: [{ caption: Main, file: art/main.png }]
  licenses:
    - { name: Trial, url: https://example.org/trial, expiry: relative_date, days_valid: 30, uses: 10, description: Thirty days, external_id: T-30 }
    - { name: Fixed, url: https://example.org/fixed, expiry: absolute_date, expires_at: "2030-01-01T00:00:00Z" }
build:
  id: b950a06f-22d1-4f33-ab01-38f086122ef8
  version: "2.0"
  release_notes: Better.
  image: { registry: https://ghcr.io, repository: ghcr.io/acme/app, tag: "2.0" }
  content: ./content
  permissions: { products: { read: true } }
  configurations:
    - name: small
      tasks: [{ name: web }]
    - name: large
      default: true
      tasks:
        - name: web
          label: Web app
          ports: [8080, 8443]
          memory: { minimum: 128, maximum: 512 }
          instances: { minimum: 1, maximum: 4 }
          options: [--mode, production]
          cron: "*/5 * * * *"
          environment:
            - { key: LOG_LEVEL, description: How much to log, required: false, default: info, pattern: "^(debug|info)$" }
  exposures:
    - interface: CDS Hooks
  dependencies:
    - interface: { name: FHIR R4, uri: http://hl7.org/fhir/R4, version: 4.0.1 }
      required: true
      mappings: { FHIR_BASE_URL: url }
label:
  organization: [{ name: Acme }]
`,
      { 'art/logo.png': 'png', 'art/main.png': 'png', content: '/' },
    );
    const dir = join(file, '..');
    const { manifest, warnings } = await loadManifest(file);
    expect(warnings).toEqual([]);
    expect(manifest.marketplaceUrl).toBe('https://marketplace.example.org');
    expect(manifest.product).toEqual({
      id: '0bd4e587-e0cf-47ad-9314-ae580873fbae',
      name: 'Growth Chart',
      description: 'Charts growth.',
      uri: 'https://example.org/app',
      supportUrl: 'https://example.org/help',
      mimeType: 'application/smart.v1',
      externalId: 'GC-1',
      locale: 'en-US',
      logo: join(dir, 'art/logo.png'),
      screenshots: [{ caption: 'Main', file: join(dir, 'art/main.png') }],
      licenses: [
        { name: 'Trial', url: 'https://example.org/trial', expiry: 'relative_date', daysValid: 30, uses: 10, description: 'Thirty days', externalId: 'T-30' },
        { name: 'Fixed', url: 'https://example.org/fixed', expiry: 'absolute_date', expiresAt: '2030-01-01T00:00:00Z' },
      ],
    });
    expect(manifest.build).toEqual({
      id: 'b950a06f-22d1-4f33-ab01-38f086122ef8',
      version: '2.0',
      releaseNotes: 'Better.',
      image: { registry: 'https://ghcr.io', repository: 'ghcr.io/acme/app', tag: '2.0' },
      content: join(dir, 'content'),
      permissions: { products: { read: true } },
      configurations: [
        { name: 'small', default: false, tasks: [{ name: 'web', options: [], ports: [], environment: [] }] },
        {
          name: 'large',
          default: true,
          tasks: [
            {
              name: 'web',
              label: 'Web app',
              ports: [8080, 8443],
              memoryMinimum: 128,
              memoryMaximum: 512,
              instancesMinimum: 1,
              instancesMaximum: 4,
              options: ['--mode', 'production'],
              cron: '*/5 * * * *',
              environment: [{ key: 'LOG_LEVEL', description: 'How much to log', required: false, default: 'info', pattern: '^(debug|info)$' }],
            },
          ],
        },
      ],
      exposures: [{ interface: 'CDS Hooks' }],
      dependencies: [{ interface: { name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' }, required: true, mappings: { FHIR_BASE_URL: 'url' } }],
    });
    expect(manifest.label).toEqual({ organization: [{ name: 'Acme' }] });
  });

  it('an image as one string: a registry port is not a tag', async () => {
    const { manifest } = await loadManifest(manifestFile(MINIMAL.replace('  version: 1.0.0\n', '  version: 1.0.0\n  image: localhost:5000/app\n')));
    expect(manifest.build.image).toEqual({ repository: 'localhost:5000/app', tag: 'latest' });
  });
});

describe('hsp.yaml: every problem names the file, line and column', () => {
  it('a YAML syntax error', async () => {
    const { file, problems: found, error } = await problems('product:\n  name: Growth Chart: for children\nbuild:\n  version: 1.0.0\n');
    const message = 'invalid YAML: nested mappings are not allowed in compact mappings (put a value that contains ": " in quotes).';
    expect(found).toEqual([{ line: 2, column: 9, message }]);
    expect(error.message).toBe(`${file}:2:9: ${message}`);
  });

  it('a key given twice', async () => {
    const { problems: found } = await problems(MINIMAL.replace('  name: Growth Chart\n', '  name: Growth Chart\n  name: Again\n'));
    expect(found).toEqual([{ line: 3, column: 3, message: 'invalid YAML: map keys must be unique.' }]);
  });

  it('a number where a string belongs: the version', async () => {
    const { file, error } = await problems(MINIMAL.replace('version: 1.0.0', 'version: 1.0'));
    expect(error.message).toBe(`${file}:4:12: build.version must be a string.`);
  });

  it('a wrong type deep inside, and several problems at once in the order of the file', async () => {
    const { problems: found } = await problems(`product:
  name: Growth Chart
build:
  version: 1.0.0
  configurations:
    - name: default
      tasks:
        - name: web
          ports: [80, "443", 70000]
          memory: { minimum: -1 }
          environment:
            - { key: log_level, description: How much to log }
`);
    expect(found).toEqual([
      { line: 9, column: 23, message: 'build.configurations[0].tasks[0].ports[1] must be a whole number.' },
      { line: 9, column: 30, message: 'build.configurations[0].tasks[0].ports[2] must be at most 65535.' },
      { line: 10, column: 30, message: 'build.configurations[0].tasks[0].memory.minimum must be at least 0.' },
      { line: 12, column: 22, message: 'build.configurations[0].tasks[0].environment[0].key must be upper-case letters, digits and underscores (such as LOG_LEVEL), not "log_level".' },
    ]);
  });

  it('an unknown key, with the key it probably meant', async () => {
    const { problems: found } = await problems(MINIMAL.replace('  version: 1.0.0\n', '  version: 1.0.0\n  relase_notes: Better.\n'));
    expect(found).toEqual([{ line: 5, column: 3, message: 'build.relase_notes is not a known key; did you mean release_notes?' }]);
  });

  it('an unknown key with nothing close: the keys that are known', async () => {
    const { problems: found } = await problems(`${MINIMAL}colour: blue\n`);
    expect(found).toEqual([{ line: 9, column: 1, message: 'colour is not a known key (the top level takes marketplace_url, product, build, label).' }]);
  });

  it('a missing required key, at the mapping that lacks it', async () => {
    const { problems: found } = await problems('product:\n  description: No name\nbuild:\n  version: 1.0.0\n  configurations: [{ name: default, tasks: [{ name: web }] }]\n');
    expect(found).toEqual([{ line: 2, column: 3, message: 'product.name is required.' }]);
  });

  it('an empty file', async () => {
    const { problems: found } = await problems('# nothing yet\n');
    expect(found).toEqual([{ line: 1, column: 1, message: 'the manifest is empty; "hsp init" writes one to start from.' }]);
  });

  it('files the manifest names that do not exist, at the path as written', async () => {
    const { problems: found } = await problems(
      MINIMAL.replace('  name: Growth Chart\n', '  name: Growth Chart\n  logo: ./missing.png\n  screenshots:\n    - { caption: Main, file: ./shots }\n').replace('  version: 1.0.0\n', '  version: 1.0.0\n  content: ./content.txt\n'),
      { shots: '/', 'content.txt': 'not a folder' },
    );
    expect(found).toEqual([
      { line: 3, column: 9, message: 'product.logo "./missing.png" does not exist (paths are relative to the manifest\'s folder).' },
      { line: 5, column: 30, message: 'product.screenshots[0].file "./shots" is a folder, not a file.' },
      { line: 8, column: 12, message: 'build.content "./content.txt" is a file, not a folder.' },
    ]);
  });

  it('a task name used twice in a configuration, at the second', async () => {
    const { problems: found } = await problems(`${MINIMAL}        - name: worker\n        - name: web\n`);
    expect(found).toEqual([{ line: 10, column: 17, message: 'build.configurations[0].tasks[2].name "web" is used twice in configuration "default"; task names must be unique within a configuration.' }]);
  });

  it('the rules a schema cannot say: ranges, defaults, unique names and captions, patterns', async () => {
    const { problems: found } = await problems(
      `product:
  name: Growth Chart
  screenshots:
    - { caption: Main, file: a.png }
    - { caption: Main, file: a.png }
build:
  version: 1.0.0
  configurations:
    - name: one
      default: true
      tasks:
        - name: web
          memory: { minimum: 512, maximum: 256 }
          environment:
            - { key: MODE, description: Mode, pattern: "(", default: x }
            - { key: LEVEL, description: Level, pattern: "^[0-9]+$", default: high }
    - name: one
      default: true
      tasks: [{ name: web }]
`,
      { 'a.png': 'png' },
    );
    expect(found).toEqual([
      { line: 5, column: 18, message: 'product.screenshots[1].caption "Main" is used twice; screenshot captions must be unique.' },
      { line: 13, column: 30, message: 'build.configurations[0].tasks[0].memory.minimum (512) is more than the memory maximum (256).' },
      { line: 15, column: 56, message: 'build.configurations[0].tasks[0].environment[0].pattern is not a valid regular expression (/(/: Unterminated group).' },
      { line: 16, column: 79, message: 'build.configurations[0].tasks[0].environment[1].default "high" does not match its own pattern ^[0-9]+$.' },
      { line: 17, column: 13, message: 'build.configurations[1].name "one" is used twice; configuration names must be unique.' },
      { line: 18, column: 16, message: 'build.configurations[1].default makes a second default configuration; exactly one may be the default.' },
    ]);
  });

  it('several configurations and none of them the default', async () => {
    const { problems: found } = await problems(`${MINIMAL}    - name: other\n      tasks: [{ name: web }]\n`);
    expect(found).toEqual([{ line: 6, column: 5, message: 'build.configurations has no default configuration; mark exactly one with default: true.' }]);
  });

  it('a licence whose expiry needs a date or a number of days', async () => {
    const { problems: found } = await problems(MINIMAL.replace('  name: Growth Chart\n', '  name: Growth Chart\n  licenses:\n    - { name: Trial, url: https://example.org/t, expiry: relative_date }\n'));
    expect(found).toEqual([{ line: 4, column: 7, message: 'product.licenses[0].days_valid is required.' }]);
  });

  it('an image reference that is not one', async () => {
    const { problems: found } = await problems(MINIMAL.replace('  version: 1.0.0\n', '  version: 1.0.0\n  image: "My App:1.0"\n'));
    expect(found).toEqual([{ line: 5, column: 10, message: 'build.image "My App:1.0" is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-".' }]);
  });

  it('a file that cannot be read', async () => {
    const missing = join(scratch, 'nowhere', 'hsp.yaml');
    const error = (await loadManifest(missing).catch((e: unknown) => e)) as ManifestError;
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.message).toBe(`${missing}: cannot read the manifest: no such file.`);
    const folder = (await loadManifest(scratch).catch((e: unknown) => e)) as ManifestError;
    expect(folder.message).toBe(`${scratch}: cannot read the manifest: it is a folder, not a file.`);
  });
});
