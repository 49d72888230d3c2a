/**
 * Writing manifests back out: hsp.yaml and marketplace.json round trips keep the model, the
 * specification's format reports what it cannot hold, and written files load as they should.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/manifest/errors.js';
import { loadManifest, parseManifest } from '../../../src/manifest/load.js';
import type { Manifest } from '../../../src/manifest/model.js';
import { writeHspYaml } from '../../../src/manifest/write-hsp-yaml.js';
import { writeSpecManifest } from '../../../src/manifest/write-spec.js';
import { sharedDir } from '../../helpers/captures.js';
import { withSpecExamples } from '../../helpers/skips.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hsp-convert-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshDir = () => mkdtempSync(join(scratch, `${++folders}-`));

/** The model without where it was read from. */
const model = ({ file: _file, format: _format, ...rest }: Manifest) => rest;

async function writeAndLoad(text: string, name: string, dir = freshDir()): Promise<Manifest> {
  writeFileSync(join(dir, name), text);
  const { manifest, warnings } = await loadManifest(join(dir, name), { strict: true });
  expect(warnings).toEqual([]);
  return manifest;
}

describe('hsp.yaml written back', () => {
  it.each(['smart-app', 'cds-hooks', 'content-library'])('examples/%s: into another folder and read again, the same model', async (example) => {
    const { manifest } = await loadManifest(`${examples}${example}/hsp.yaml`);
    const dir = mkdirSync(join(freshDir(), 'nested', 'deeper'), { recursive: true })!;
    const text = writeHspYaml(manifest, { dir, convertedFrom: 'elsewhere/hsp.yaml' });
    expect(model(await writeAndLoad(text, 'hsp.yaml', dir))).toEqual(model(manifest));
    // Paths are relative to where the file is written, with forward slashes.
    if (manifest.product.logo) expect(text).toMatch(/\n {2}logo: (\.\.\/)+.*examples\/smart-app\/logo\.png\n/);
  });

  it('a commented header, keys in a fixed order, short lists on one line, paths relative to the file', async () => {
    const { manifest } = await loadManifest(`${examples}smart-app/hsp.yaml`);
    const text = writeHspYaml(manifest, { dir: `${examples}smart-app`, convertedFrom: 'marketplace.json' });
    expect(text.split('\n').slice(0, 5)).toEqual([
      '# hsp.yaml: a product, and one build of it, for an HL7 HSP Marketplace.',
      '# Converted from marketplace.json by "hsp manifest convert".',
      '# Check it with "hsp manifest validate hsp.yaml"; publish it with "hsp publish hsp.yaml".',
      "# Paths are relative to this file's folder.",
      '',
    ]);
    const keys = text.split('\n').filter((line) => /^\w/.test(line)).map((line) => line.split(':')[0]);
    expect(keys).toEqual(['marketplace_url', 'product', 'build', 'label']);
    expect(text).toContain('\n  logo: ./logo.png\n');
    expect(text).toContain('\n    - caption: Weight-for-age percentiles\n      file: ./screenshot.png\n');
    expect(text).toContain('\n          ports: [ 8080 ]\n');
    expect(text).toContain('\n  version: 1.4.0\n');
    // Written twice, the same text.
    expect(writeHspYaml(manifest, { dir: `${examples}smart-app`, convertedFrom: 'marketplace.json' })).toBe(text);
  });

  it('a version that YAML would read as a number stays a string', async () => {
    const { manifest } = await loadManifest(`${examples}smart-app/hsp.yaml`);
    const text = writeHspYaml({ ...manifest, build: { ...manifest.build, version: '2.0' } }, { dir: `${examples}smart-app` });
    expect(text).toContain('\n  version: "2.0"\n');
  });
});

describe('marketplace.json written from a model', () => {
  it('hsp.yaml → marketplace.json → model: what the format holds survives, the rest is listed as dropped', async () => {
    const { manifest } = await loadManifest(`${examples}smart-app/hsp.yaml`);
    const { data, text, dropped } = writeSpecManifest(manifest);
    expect(dropped).toEqual([
      'product.description',
      'product.uri',
      'product.support_url',
      'product.locale',
      'product.logo',
      'product.screenshots',
      'product.licenses[0].expiry',
      'build.release_notes',
      'build.dependencies[0]',
      'build.configurations[0].tasks[0].name',
    ]);
    expect(text).toBe(`${JSON.stringify(data, null, 2)}\n`);
    const back = await writeAndLoad(text, 'marketplace.json');
    expect(back.product).toEqual({ id: manifest.product.id, name: manifest.product.name, mimeType: 'application/smart.v1', licenses: [{ name: 'Apache 2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' }], screenshots: [] });
    expect(back.build.version).toBe('1.4.0');
    expect(back.build.image).toEqual({ registry: 'https://ghcr.io', repository: 'ghcr.io/example/growth-chart', tag: '1.4.0' });
    // The task's label is what the format calls it; the rest of the task survives.
    const { name: _name, label, ...task } = manifest.build.configurations[0]!.tasks[0]!;
    expect(back.build.configurations).toEqual([{ name: 'default', default: true, tasks: [{ ...task, name: label }] }]);
    expect(back.label).toEqual(manifest.label);
  });

  it('a model the format can hold in full: model → marketplace.json → model is the same', async () => {
    const dir = freshDir();
    const original = await writeAndLoad(
      `marketplace_url: https://marketplace.example.org
product:
  id: 0bd4e587-e0cf-47ad-9314-ae580873fbae
  name: Chart
  mime_type: application/smart.v1
  licenses: [{ name: MIT, url: https://opensource.org/license/mit, description: "Use it; keep the notice." }]
build:
  id: b950a06f-22d1-4f33-ab01-38f086122ef8
  version: 3.0.2
  image: { registry: https://index.docker.io/v1/, repository: acme/chart, tag: 3.0.2 }
  configurations:
    - id: b9cb3c87-aa1a-4638-9106-5d933d7eeadc
      name: default
      default: true
      tasks:
        - id: 1e820e4b-2bfa-4cb8-aa14-0fe97a0c870f
          name: web
          ports: [8080]
          memory: { minimum: 64, maximum: 128 }
          instances: { minimum: 1, maximum: 2 }
          options: [--verbose]
          cron: "@daily"
          environment: [{ key: MODE, description: Mode, required: true, default: fast, pattern: "^(fast|slow)$" }]
    - name: configuration-2
      default: false
      tasks: [{ name: batch }]
label:
  organization: [{ name: Acme, contact: acme@example.org }]
  pricing: [{ name: Trial, kind: trial, rate: "0", measure: access }]
  provenance: [{ datetime: "2025-01-02T03:04:05Z", attribution: Acme, remark: First }]
  favourite_colour: blue
`,
      'hsp.yaml',
      dir,
    );
    const { text, dropped } = writeSpecManifest(original);
    expect(dropped).toEqual([]);
    expect(model(await writeAndLoad(text, 'marketplace.json'))).toEqual(model(original));
  });

  it('marketplace.json → hsp.yaml → marketplace.json gives back the same file (examples/bilirubin-chart)', async () => {
    const file = `${examples}bilirubin-chart/marketplace.json`;
    const { manifest } = await loadManifest(file);
    const yaml = writeHspYaml(manifest, { dir: freshDir() });
    const again = await writeAndLoad(yaml, 'hsp.yaml');
    expect(writeSpecManifest(again).data).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });

  withSpecExamples.it("the specification's cds-hooks example through hsp.yaml keeps every fact and the provenance", async () => {
    const file = join(sharedDir, 'spec/examples/cds-hooks.product.build.json');
    const original = JSON.parse(readFileSync(file, 'utf8')) as { product: { facts: unknown }; provenance: unknown };
    const { manifest } = await loadManifest(file);
    const dir = freshDir();
    writeFileSync(join(dir, 'hsp.yaml'), writeHspYaml(manifest, { dir }));
    const { manifest: fromYaml } = await loadManifest(join(dir, 'hsp.yaml'));
    const { data, dropped } = writeSpecManifest(fromYaml);
    expect(dropped).toEqual([]);
    expect((data.product as { facts: unknown }).facts).toEqual(original.product.facts);
    expect(data.provenance).toEqual(original.provenance);
  });

  it('keeps runtime dependencies it cannot model, and updates the ones it can', async () => {
    const iface = '0f0a3c0e-5b8e-4a43-9a59-3c1f7f6f2a11';
    const product = 'a02095be-0cbd-41bc-845f-d2897e2319e9';
    const { manifest } = await loadManifest(`${examples}bilirubin-chart/marketplace.json`);
    const label = { ...manifest.label, runtime_dependencies: [{ uuid: '', build: [], name: 'unknown' }, { uuid: product, build: [], interface_id: iface, required: false }] };
    const changed: Manifest = { ...manifest, label, build: { ...manifest.build, dependencies: [{ interface: iface, required: true, mappings: { A: 'b' } }, { interface: 'FHIR R4' }] } };
    const { data, dropped } = writeSpecManifest(changed);
    expect((data.product as { facts: { runtime_dependencies: unknown } }).facts.runtime_dependencies).toEqual([
      { uuid: '', build: [], name: 'unknown' },
      { uuid: product, build: [], interface_id: iface, required: true, mappings: '{"A":"b"}' },
    ]);
    expect(dropped).toEqual(['build.dependencies[1]']);
  });

  it('what the format requires and the model lacks is an error naming it', async () => {
    const { manifest } = await loadManifest(`${examples}content-library/hsp.yaml`);
    expect(() => writeSpecManifest(manifest)).toThrow(new ManifestError([{ file: manifest.file, message: 'cannot be written as marketplace.json: it needs a container image (product.build.binary), and build.image is not set.' }]));
    const { marketplaceUrl: _url, ...noUrl } = manifest;
    expect(() => writeSpecManifest(noUrl)).toThrow(/it needs marketplace_url, and the manifest names no marketplace\.$/);
    const { manifest: app } = await loadManifest(`${examples}smart-app/hsp.yaml`);
    expect(() => writeSpecManifest({ ...app, label: { organization: 'Acme' } })).toThrow(/: cannot be written as marketplace\.json: the label does not fit its facts \(product\.facts\.organization must be an array\)\.$/);
  });

  it('ids the model leaves out are derived as hsp publish derives them: the same every time', async () => {
    const manifest = (await parseManifest('hsp.yaml', 'product: { name: Chart }\nbuild:\n  version: 1.0.0\n  image: acme/chart:1.0.0\n  configurations: [{ name: default, tasks: [{ name: web }] }]\nmarketplace_url: https://m.example.org\n')).manifest;
    const first = writeSpecManifest(manifest).data as { product: { uuid: string; build: { uuid: string } } };
    expect(first.product.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(writeSpecManifest(manifest).data).toEqual(first);
    expect(first.product.build.uuid).not.toBe(first.product.uuid);
  });
});
