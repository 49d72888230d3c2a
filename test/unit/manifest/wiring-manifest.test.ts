/**
 * What a manifest says about wiring and about builds that run their image as it is: exposures'
 * parameters, dependencies' mappings (variable names to sources), and builds without
 * configurations. How hsp.yaml reads them and refuses bad ones (file, line and column), what the
 * publish plan does with them, and how `hsp manifest convert` carries them to and from the
 * specification's marketplace.json (which has no exposures, and keeps mappings as JSON text).
 */
import { describe, expect, it } from 'vitest';
import type { Exposure, Interface, Parameter } from '../../../src/index.js';
import { ManifestError, type ManifestProblem } from '../../../src/manifest/errors.js';
import { parseManifest } from '../../../src/manifest/load.js';
import type { Manifest } from '../../../src/manifest/model.js';
import { planPublish, type PlannedAction } from '../../../src/manifest/plan.js';
import { renderPlan } from '../../../src/manifest/render-plan.js';
import type { MarketplaceState } from '../../../src/manifest/state.js';
import { writeHspYaml } from '../../../src/manifest/write-hsp-yaml.js';
import { writeSpecManifest } from '../../../src/manifest/write-spec.js';

const FILE = '/project/fhir-server/hsp.yaml';

const WIRED = `product:
  name: Example FHIR Server
build:
  version: 1.0.0
  image: example/fhir-server:1.0.0
  exposures:
    - interface: { name: FHIR R4, uri: http://hl7.org/fhir/R4, version: 4.0.1 }
      parameters:
        - { name: FHIR_BASE_PATH, required: true }
        - name: FHIR_VERSION
  dependencies:
    - interface: { name: Terminology, uri: http://hl7.org/fhir/terminology, version: "1" }
      required: false
      mappings:
        TERMINOLOGY_URL: "http://{host}:{port}/{TX_PATH}"
        TERMINOLOGY_HOST: host
        TX_VERSION: TX_VERSION
`;

async function load(text: string, file = FILE): Promise<Manifest> {
  return (await parseManifest(file, text)).manifest;
}

async function problems(text: string, file = FILE): Promise<Omit<ManifestProblem, 'file'>[]> {
  const error = await parseManifest(file, text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestError);
  return (error as ManifestError).problems.map(({ file: _file, ...rest }) => rest);
}

describe('hsp.yaml', () => {
  it('reads exposures with parameters, dependencies with mappings, and a build with no configurations', async () => {
    const manifest = await load(WIRED);
    expect(manifest.build.configurations).toEqual([]);
    expect(manifest.build.exposures).toEqual([
      { interface: { name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' }, parameters: [{ name: 'FHIR_BASE_PATH', required: true }, { name: 'FHIR_VERSION' }] },
    ]);
    expect(manifest.build.dependencies).toEqual([
      {
        interface: { name: 'Terminology', uri: 'http://hl7.org/fhir/terminology', version: '1' },
        required: false,
        mappings: { TERMINOLOGY_URL: 'http://{host}:{port}/{TX_PATH}', TERMINOLOGY_HOST: 'host', TX_VERSION: 'TX_VERSION' },
      },
    ]);
  });

  it('refuses mapping keys that are not variable names and sources that are not text, at their place in the file', async () => {
    const text = WIRED.replace('TERMINOLOGY_HOST: host', 'terminology_host: host').replace('TX_VERSION: TX_VERSION', 'TX_PORT: 8080');
    expect(await problems(text)).toEqual([
      { line: 16, column: 9, message: 'build.dependencies[0].mappings has the key "terminology_host", which is not upper-case letters, digits and underscores (such as FHIR_BASE_URL).' },
      { line: 17, column: 18, message: 'build.dependencies[0].mappings.TX_PORT must be a string.' },
    ]);
    expect(await problems(WIRED.replace(/mappings:\n(\s+\w+: .+\n)+/, 'mappings: [url]\n'))).toEqual([{ line: 14, column: 17, message: 'build.dependencies[0].mappings must be a mapping.' }]);
  });

  it('refuses parameter names that are not variable names, and a name declared twice in an exposure', async () => {
    expect(await problems(WIRED.replace('name: FHIR_VERSION', 'name: fhir-version'))).toEqual([
      { line: 10, column: 17, message: 'build.exposures[0].parameters[1].name must be upper-case letters, digits and underscores (such as FHIR_BASE_URL), not "fhir-version".' },
    ]);
    expect(await problems(WIRED.replace('name: FHIR_VERSION', 'name: FHIR_BASE_PATH'))).toEqual([
      { line: 10, column: 17, message: 'build.exposures[0].parameters[1].name FHIR_BASE_PATH is declared twice in this exposure; parameter names must be unique within an exposure.' },
    ]);
    expect(await problems(WIRED.replace('- name: FHIR_VERSION', '- { name: FHIR_VERSION, default: "4.0.1" }'))).toEqual([
      { line: 10, column: 33, message: 'build.exposures[0].parameters[1].default is not a known key (build.exposures[0].parameters[1] takes id, name, required).' },
    ]);
  });

  it('is written back by hsp manifest convert with the same parameters, mappings and no configurations', async () => {
    const manifest = await load(WIRED);
    const text = writeHspYaml(manifest, { dir: '/project/fhir-server' });
    expect(text).toContain('parameters:');
    expect(text).toContain('TERMINOLOGY_URL: http://{host}:{port}/{TX_PATH}');
    expect(text).not.toContain('configurations');
    const again = await load(text);
    expect(again.build).toEqual(manifest.build);
  });
});

describe('marketplace.json', () => {
  const specManifest = (mappings: string) =>
    JSON.stringify({
      marketplace_url: 'https://marketplace.example.org',
      product: {
        uuid: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
        build: { uuid: '6fa459ea-ee8a-4ca4-894e-db77e160355e', binary: { registry: 'https://index.docker.io/v1/', image: 'example/app:1.0.0' } },
        facts: {
          name: 'Example app',
          organization: [],
          stewards: [],
          licensing: [],
          technology_mime_type: '',
          domain: [],
          cybersecurity: [],
          customer_service: [],
          data_access: [],
          identify_and_access_management: [],
          runtime_dependencies: [{ uuid: '0b0b0b0b-0000-4000-8000-000000000009', build: [], interface_id: '0b0b0b0b-0000-4000-8000-000000000001', required: true, mappings }],
          networking: [],
        },
      },
      configuration: [{ default: true, task: [{ id: '0b0b0b0b-0000-4000-8000-000000000002', label: 'web' }] }],
      provenance: [],
    });

  it('reads mappings from their JSON text; mappings that do not map variable names to text are left out with a warning, or refused with --strict', async () => {
    const good = await parseManifest('/project/app/marketplace.json', specManifest('{"FHIR_BASE_URL":"http://{host}:{port}/fhir"}'));
    expect(good.manifest.build.dependencies[0]?.mappings).toEqual({ FHIR_BASE_URL: 'http://{host}:{port}/fhir' });

    const lower = await parseManifest('/project/app/marketplace.json', specManifest('{"fhir":"url"}'));
    expect(lower.manifest.build.dependencies[0]).not.toHaveProperty('mappings');
    expect(lower.warnings.map((w) => w.message)).toEqual([
      'product.facts.runtime_dependencies[0].mappings maps "fhir", which is not a variable name of upper-case letters, digits and underscores; it is left out.',
    ]);
    const number = await parseManifest('/project/app/marketplace.json', specManifest('{"FHIR_PORT":8080}'));
    expect(number.warnings.map((w) => w.message)).toEqual([
      'product.facts.runtime_dependencies[0].mappings maps FHIR_PORT to 8080, which is not text (a parameter name, url, host, port, or a template such as "http://{host}:{port}/fhir"); it is left out.',
    ]);
    const strict = await parseManifest('/project/app/marketplace.json', specManifest('{"fhir":"url"}'), { strict: true }).catch((e: unknown) => e);
    expect((strict as ManifestError).problems.map((p) => p.message)).toEqual([
      'product.facts.runtime_dependencies[0].mappings maps "fhir", which is not a variable name of upper-case letters, digits and underscores.',
    ]);
  });

  it('written from hsp.yaml: exposures (and their parameters) are dropped, mappings become JSON text, and a build with no configuration is refused in a sentence', async () => {
    const iface = '0b0b0b0b-0000-4000-8000-000000000001';
    const manifest = await load(WIRED);
    const withConfiguration: Manifest = {
      ...manifest,
      marketplaceUrl: 'https://marketplace.example.org',
      label: { runtime_dependencies: [{ uuid: '0b0b0b0b-0000-4000-8000-000000000009', build: [], interface_id: iface }] },
      build: {
        ...manifest.build,
        configurations: [{ name: 'default', default: true, tasks: [{ name: 'web', options: [], ports: [8080], environment: [] }] }],
        dependencies: [{ interface: iface, mappings: { FHIR_BASE_URL: 'url' } }],
      },
    };
    const written = writeSpecManifest(withConfiguration);
    expect(written.dropped).toContain('build.exposures');
    const facts = (written.data.product as { facts: { runtime_dependencies: unknown[] } }).facts;
    expect(facts.runtime_dependencies).toEqual([{ uuid: '0b0b0b0b-0000-4000-8000-000000000009', build: [], interface_id: iface, mappings: '{"FHIR_BASE_URL":"url"}' }]);
    const back = await parseManifest('/project/app/marketplace.json', written.text, { strict: true });
    expect(back.manifest.build.dependencies).toEqual([{ interface: iface, mappings: { FHIR_BASE_URL: 'url' } }]);

    const refused = (() => {
      try {
        writeSpecManifest({ ...withConfiguration, build: { ...withConfiguration.build, configurations: [] } });
      } catch (error) {
        return error as ManifestError;
      }
      return undefined;
    })();
    expect(refused?.problems.map((p) => p.message)).toEqual([
      'cannot be written as marketplace.json: the format needs at least one configuration with a task, and build.configurations leaves them out (the image runs as it is).',
    ]);
  });
});

describe('the publish plan', () => {
  const T0 = '2024-01-01T00:00:00.000Z';
  const stamps = { created_at: T0, updated_at: T0 };
  const noFiles = { digests: new Map<string, string>(), errors: [] };
  const fhir: Interface = { id: '0b0b0b0b-0000-4000-8000-000000000001', name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1', ordinal: null, ...stamps };
  const terminology: Interface = { id: '0b0b0b0b-0000-4000-8000-000000000003', name: 'Terminology', uri: 'http://hl7.org/fhir/terminology', version: '1', ordinal: null, ...stamps };
  const empty: MarketplaceState = { licenses: [], interfaces: [fhir, terminology] };
  const summary = (actions: PlannedAction[]) => actions.map((a) => `${a.action} ${a.resource} ${a.name}${a.within && a.resource === 'parameter' ? ` (${a.within})` : ''}`);

  /** The marketplace once the first plan ran: its creates, as records. */
  function afterCreating(plan: ReturnType<typeof planPublish>, parameters = true): MarketplaceState {
    const fields = (a: PlannedAction) => a.fields as Record<string, unknown>;
    const one = (resource: string) => plan.actions.find((a) => a.resource === resource)!;
    return {
      licenses: [],
      interfaces: [fhir, terminology],
      product: {
        record: { ...fields(one('product')), user_id: 'u', published_at: null, visible_at: null, ...stamps } as never,
        matchedBy: 'name',
        productLicenses: [],
        screenshots: [],
        build: {
          record: { ...fields(one('build')), product_id: plan.product.id, ...stamps } as never,
          configurations: [],
          exposures: [{ ...(fields(one('exposure')) as { id: string; interface_id: string }), build_id: plan.build.id, ...stamps } as Exposure],
          ...(parameters
            ? { parameters: plan.actions.filter((a) => a.resource === 'parameter').map((a) => ({ required: false, ...fields(a), exposure_id: a.parents[2], ...stamps }) as unknown as Parameter) }
            : {}),
          dependencies: [{ ...(fields(one('dependency')) as { id: string; interface_id: string }), build_id: plan.build.id, ...stamps } as never],
        },
        buildMatchedBy: 'version',
      },
    };
  }

  it('creates a build without configurations, its exposure, then the exposure parameters, and the dependency with its mappings', async () => {
    const plan = planPublish(await load(WIRED), empty, noFiles);
    expect(plan.errors).toEqual([]);
    expect(summary(plan.actions)).toEqual([
      'create product Example FHIR Server',
      'create build 1.0.0',
      'unchanged interface FHIR R4',
      'create exposure FHIR R4',
      'create parameter FHIR_BASE_PATH (exposure of "FHIR R4")',
      'create parameter FHIR_VERSION (exposure of "FHIR R4")',
      'unchanged interface Terminology',
      'create dependency Terminology',
    ]);
    const exposure = plan.actions.find((a) => a.resource === 'exposure')!;
    const parameter = plan.actions.find((a) => a.name === 'FHIR_BASE_PATH')!;
    expect(parameter).toMatchObject({ parents: [plan.product.id, plan.build.id, exposure.id], after: [exposure.key], fields: { id: parameter.id, name: 'FHIR_BASE_PATH', required: true } });
    expect(plan.actions.find((a) => a.resource === 'dependency')?.fields).toMatchObject({ interface_id: terminology.id, required: false, mappings: { TX_VERSION: 'TX_VERSION' } });
    expect(renderPlan(plan)).toContain('+ create parameter "FHIR_BASE_PATH" (exposure of "FHIR R4")');
  });

  it('plans nothing once published; a changed or removed parameter is a change of the release (refused without --force)', async () => {
    const manifest = await load(WIRED);
    const state = afterCreating(planPublish(manifest, empty, noFiles));
    expect(planPublish(manifest, state, noFiles).actions.every((a) => a.action === 'unchanged')).toBe(true);

    const changed = await load(WIRED.replace('{ name: FHIR_BASE_PATH, required: true }', '{ name: FHIR_BASE_PATH, required: false }').replace('        - name: FHIR_VERSION\n', '        - name: FHIR_RELEASE\n'));
    const plan = planPublish(changed, state, noFiles, { prune: true });
    expect(summary(plan.actions.filter((a) => a.action !== 'unchanged'))).toEqual([
      'update parameter FHIR_BASE_PATH (exposure of "FHIR R4")',
      'create parameter FHIR_RELEASE (exposure of "FHIR R4")',
      'delete parameter FHIR_VERSION (exposure of "FHIR R4")',
    ]);
    expect(plan.errors).toEqual([
      'Build 1.0.0: parameter "FHIR_BASE_PATH" (exposure of "FHIR R4") has required true in the marketplace but false in /project/fhir-server/hsp.yaml.',
      'Build 1.0.0: parameter "FHIR_VERSION" (exposure of "FHIR R4") would be deleted (--prune).',
      'Build 1.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.',
    ]);
    expect(planPublish(changed, state, noFiles, { prune: true, force: true }).errors).toEqual([]);
  });

  it("leaves an exposure's parameters alone when the manifest lists none and does not prune", async () => {
    const manifest = await load(WIRED);
    const state = afterCreating(planPublish(manifest, empty, noFiles), false);
    const withoutParameters = await load(WIRED.replace(/ {6}parameters:\n( {8}- .+\n)+/, ''));
    expect(withoutParameters.build.exposures[0]).not.toHaveProperty('parameters');
    expect(planPublish(withoutParameters, state, noFiles).actions.filter((a) => a.action !== 'unchanged')).toEqual([]);
  });
});
