/**
 * `hsp publish` of the manifests autowiring reads, against `hsp serve`: a FHIR server whose
 * build has no configuration (its image runs as it is) and exposes FHIR R4 with parameters, and
 * an app whose build depends on FHIR R4 with mappings. The records land as the manifests say,
 * and publishing them again plans no change (with --prune too: the parameters read back equal).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { hsp } from '../../helpers/cli.js';
import { json } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { all } from './fixtures.js';

const m = useMarketplace();
let configDir = '';
beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'hsp-publish-wiring-config-'));
});
const signedIn = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: configDir });

const SERVER = `product:
  name: Wired FHIR Server
build:
  version: 4.0.1
  image: example/fhir-server:4.0.1
  exposures:
    - interface: { name: FHIR R4, uri: http://hl7.org/fhir/R4, version: 4.0.1 }
      parameters:
        - { name: FHIR_BASE_PATH, required: true }
        - name: FHIR_TENANT
`;

const APP = `product:
  name: Wired Growth Chart
build:
  version: 1.0.0
  image: example/growth-chart:1.0.0
  configurations:
    - name: default
      tasks:
        - name: web
          ports: [8080]
          environment:
            - { key: FHIR_BASE_URL, description: The FHIR server, required: true }
            - { key: FHIR_TENANT, description: Whose data }
  dependencies:
    - interface: http://hl7.org/fhir/R4
      required: true
      mappings:
        FHIR_BASE_URL: "http://{host}:{port}/{FHIR_BASE_PATH}"
        FHIR_TENANT: FHIR_TENANT
`;

async function manifestFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hsp-publish-wiring-'));
  await writeFile(join(dir, 'hsp.yaml'), text);
  return join(dir, 'hsp.yaml');
}

const publish = async (file: string, ...flags: string[]) => json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--json', ...flags], { env: signedIn() }));
const changes = (document: PlanDocument) => document.actions.filter((a) => a.action !== 'unchanged').map((a) => `${a.action} ${a.resource} ${a.name}`);

describe('hsp publish: exposures with parameters, dependencies with mappings, builds without configurations', () => {
  it('creates them as the manifests say, then plans nothing on the next publish', async () => {
    const server = await manifestFile(SERVER);
    const first = await publish(server);
    expect(first.errors).toEqual([]);
    expect(changes(first)).toEqual([
      'create product Wired FHIR Server',
      'create build 4.0.1',
      'create interface FHIR R4',
      'create exposure FHIR R4',
      'create parameter FHIR_BASE_PATH',
      'create parameter FHIR_TENANT',
    ]);
    expect(first.outcomes).toEqual({ done: 6, unchanged: 0, failed: 0, skipped: 0 });

    const productId = first.product.id;
    const buildId = first.build.id;
    expect(await all(m.admin.configurations.list(productId, buildId))).toEqual([]);
    const [exposure] = await all(m.admin.exposures.list(productId, buildId));
    const parameters = await all(m.admin.parameters.list(productId, buildId, exposure!.id));
    // Created concurrently: in no particular order.
    expect(parameters.map((p) => [p.name, p.required]).sort()).toEqual([
      ['FHIR_BASE_PATH', true],
      ['FHIR_TENANT', false],
    ]);

    const app = await manifestFile(APP);
    const published = await publish(app);
    expect(published.errors).toEqual([]);
    expect(changes(published)).toEqual(['create product Wired Growth Chart', 'create build 1.0.0', 'create configuration default', 'create task web', 'create dependency FHIR R4']);
    const [dependency] = await all(m.admin.dependencies.list(published.product.id, published.build.id));
    expect(dependency).toMatchObject({ interface_id: exposure!.interface_id, required: true, mappings: { FHIR_BASE_URL: 'http://{host}:{port}/{FHIR_BASE_PATH}', FHIR_TENANT: 'FHIR_TENANT' } });

    for (const file of [server, app]) {
      const again = await publish(file);
      expect(again.errors).toEqual([]);
      expect(changes(again)).toEqual([]);
      expect(again.outcomes?.done).toBe(0);
      const pruned = await publish(file, '--prune', '--dry-run');
      expect(changes(pruned)).toEqual([]);
    }
  });

  it('refuses, before writing anything, a dependency mapping that the marketplace would refuse', async () => {
    const file = await manifestFile(APP.replace('FHIR_TENANT: FHIR_TENANT', 'fhir_tenant: FHIR_TENANT').replace('Wired Growth Chart', 'Badly Wired'));
    const run = await hsp(['publish', '--no-resolve', file], { env: signedIn() });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('build.dependencies[0].mappings has the key "fhir_tenant", which is not upper-case letters, digits and underscores (such as FHIR_BASE_URL).');
    expect((await all(m.admin.products.list({ perPage: 100 }))).some((p) => p.name === 'Badly Wired')).toBe(false);
  });
});
