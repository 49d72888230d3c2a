/** The example products in examples/: each loads without a single warning, strict or not. */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/manifest/load.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const MANIFESTS = ['smart-app/hsp.yaml', 'cds-hooks/hsp.yaml', 'fhir-server/hsp.yaml', 'content-library/hsp.yaml', 'bilirubin-chart/marketplace.json'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('examples/', () => {
  it.each(MANIFESTS)('%s loads with no warnings, also with --strict, and names its product by a fixed id', async (name) => {
    const file = `${examples}${name}`;
    for (const strict of [false, true]) {
      const { manifest, warnings } = await loadManifest(file, { strict });
      expect(warnings).toEqual([]);
      expect(manifest.product.id).toMatch(UUID);
      expect(manifest.build.configurations.filter((c) => c.default)).toHaveLength(1);
    }
  });

  it('the SMART app: an image, a logo and a screenshot (small, real PNGs), a licence, OPENTELEMETRY_COLLECTOR_URL', async () => {
    const { manifest } = await loadManifest(`${examples}smart-app/hsp.yaml`);
    expect(manifest.product.mimeType).toBe('application/smart.v1');
    expect(manifest.build.image).toEqual({ repository: 'ghcr.io/example/growth-chart', tag: '1.4.0' });
    expect(manifest.product.licenses).toHaveLength(1);
    for (const png of [manifest.product.logo!, manifest.product.screenshots[0]!.file]) {
      expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(statSync(png).size).toBeLessThan(2048);
    }
    const [web] = manifest.build.configurations[0]!.tasks;
    expect(web!.environment.map((v) => v.key)).toContain('OPENTELEMETRY_COLLECTOR_URL');
  });

  it('the CDS Hooks service: two tasks, one on a schedule; exposes CDS Hooks and needs FHIR R4, both declared in full', async () => {
    const { manifest } = await loadManifest(`${examples}cds-hooks/hsp.yaml`);
    const tasks = manifest.build.configurations[0]!.tasks;
    expect(tasks.map((t) => t.cron)).toEqual([undefined, '0 2 * * *']);
    expect(manifest.build.exposures).toEqual([{ interface: { name: 'CDS Hooks', uri: 'https://cds-hooks.hl7.org/2.0', version: '2.0' } }]);
    expect(manifest.build.dependencies).toEqual([
      { interface: { name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' }, required: true, mappings: { FHIR_SERVER_URL: 'http://{host}:{port}{FHIR_BASE_PATH}' } },
    ]);
  });

  it('the content library: a content folder and no image', async () => {
    const { manifest } = await loadManifest(`${examples}content-library/hsp.yaml`);
    expect(manifest.build.image).toBeUndefined();
    expect(statSync(manifest.build.content!).isDirectory()).toBe(true);
    const library = JSON.parse(readFileSync(`${manifest.build.content}/Library-DiabetesCareMeasures.json`, 'utf8')) as { resourceType: string; content: { data: string }[] };
    expect(library.resourceType).toBe('Library');
    expect(Buffer.from(library.content[0]!.data, 'base64').toString('utf8')).toBe(readFileSync(`${manifest.build.content}/DiabetesCareMeasures.cql`, 'utf8'));
  });
});
