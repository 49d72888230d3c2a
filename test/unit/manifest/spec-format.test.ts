/**
 * The specification's marketplace.json: its own two examples (read from the shared reference
 * folder, skipped when it is absent) load with their known defects as warnings, or fail with
 * --strict; our own files test the mapping and the errors of both modes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError, type ManifestProblem } from '../../../src/manifest/errors.js';
import { loadManifest } from '../../../src/manifest/load.js';
import { sharedDir } from '../../helpers/captures.js';
import { withSpecExamples } from '../../helpers/skips.js';

const examples = join(sharedDir, 'spec/examples');
const cdsHooks = join(examples, 'cds-hooks.product.build.json');
const smart = join(examples, 'smart.product.build.json');

const scratch = mkdtempSync(join(tmpdir(), 'hsp-spec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
function specFile(data: unknown): string {
  const file = join(scratch, `${++files}.json`);
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  return file;
}

/** `line:column message` for compact comparison. */
const where = (problems: ManifestProblem[]) => problems.map((p) => `${p.line}:${p.column} ${p.message}`);

async function failure(file: string, strict = false): Promise<ManifestError> {
  const error = await loadManifest(file, { strict }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ManifestError);
  return error as ManifestError;
}

const CDS_HOOKS_DEFECTS = [
  '2:16 $schema "../schema/build.json" is not a URI',
  '52:29 product.facts.pricing[2].kind "maintenance" is spelled "maintainence" in the specification\'s schema, so tools that check against it reject this file',
  ...[3, 4, 5, 6, 7, 8].map((i) => `${74 + 3 * i}:17 product.facts.data_access[${i}] has no uri`),
  '105:38 product.facts.runtime_dependencies[0] names no product (uuid)',
  '148:23 configuration[0].task[1].id "7d49a845-1f0b-4e87-82ee-d45fff890a4d1" is not a UUID',
  '157:25 configuration[0].task[1].cron "At 00:00" is not a cron schedule (such as "0 0 * * *")',
  '178:21 provenance[0].datetime "2021-11-30 15:18:37.743234 -0700" is not an ISO 8601 date and time (such as 2021-11-30T15:18:37-07:00)',
];
const CONSEQUENCES: Record<string, string> = {
  '2:16': "; hsp checks the file against its own corrected copy of the specification's schema",
  '105:38': '; the dependency is skipped',
  '148:23': '; the task gets a new id when published',
  '157:25': '; it is left out',
};

withSpecExamples.describe("the specification's examples", () => {
  it('cds-hooks loads, with its known defects as warnings at their lines', async () => {
    const { manifest, warnings } = await loadManifest(cdsHooks);
    expect(where(warnings)).toEqual(CDS_HOOKS_DEFECTS.map((d) => `${d}${CONSEQUENCES[d.split(' ')[0]!] ?? ''}.`));
    expect(warnings.every((w) => w.file === cdsHooks)).toBe(true);

    expect(manifest.format).toBe('marketplace.json');
    expect(manifest.marketplaceUrl).toBe('https://marketplace-server.logicahealth.org');
    expect(manifest.product).toEqual({
      id: 'bc0e9854-7de2-48a7-9de2-f1b481b99998',
      name: 'Example Opioid Prescribing CDS Service',
      mimeType: 'CQL',
      licenses: [{ name: 'Creative Commons license', url: 'https://github.com/cqframework/opioid-cds/blob/master/LICENSE.md' }],
      screenshots: [],
    });
    const { build } = manifest;
    expect(build).toMatchObject({
      id: '5d49a845-1f0b-4e87-82ee-d4511186a4d1',
      version: 'latest',
      image: { registry: 'https://index.docker.io/v1/', repository: 'p3000/marketplace-product-build-example-cds-hooks', tag: 'latest' },
      exposures: [],
      // Its one runtime dependency names no product nor interface.
      dependencies: [],
    });
    expect(build.configurations).toHaveLength(1);
    const [configuration] = build.configurations;
    expect(configuration).toMatchObject({ id: '5d43a845-1f0b-4e87-82ee-d45fff86a4d1', name: 'default', default: true });
    const [web, restart] = configuration!.tasks;
    expect(web).toEqual({
      id: '7d49a845-1f0b-4e87-82ee-d45fff86a4d1',
      name: 'Opioid Prescribing Support SMART on FHIR Application',
      memoryMinimum: 128,
      memoryMaximum: 256,
      instancesMinimum: 1,
      options: [],
      ports: [80],
      environment: [
        { key: 'OPENTELEMETRY_COLLECTOR_URL', required: true, description: 'OpenTelemetry endpoint for billing, metrics, logging, and product improvement.', pattern: 'https?://.+' },
        { key: 'LOGGING', required: false, description: 'hapi.fhir.cql_logging_enabled=true' },
        { key: 'FIREBASE', required: false, description: 'firebaseconfigurations' },
      ],
    });
    // The invalid id and the cron that is not cron syntax are left out.
    expect(restart).not.toHaveProperty('id');
    expect(restart).not.toHaveProperty('cron');
    expect(restart!.name).toBe('Opioid Prescribing Restart');

    // What the model has no field for is kept for the label, as it was.
    expect(Object.keys(manifest.label!)).toEqual(['organization', 'stewards', 'pricing', 'domain', 'cybersecurity', 'customer_service', 'data_access', 'identify_and_access_management', 'runtime_dependencies', 'networking', 'provenance']);
    expect(manifest.label!.runtime_dependencies).toEqual([{ uuid: '', build: [], name: 'cqf-ruler' }]);
    expect(manifest.label!.provenance).toEqual([{ datetime: '2021-11-30 15:18:37.743234 -0700', attribution: 'Vicky Vickerson', remark: 'Submitted for review' }]);
  });

  it('smart loads, warning about its task id that is not a UUID', async () => {
    const { manifest, warnings } = await loadManifest(smart, { version: '2.3.0' });
    expect(where(warnings)).toEqual([
      `2:16 $schema "../schema/build.json" is not a URI; hsp checks the file against its own corrected copy of the specification's schema.`,
      '54:19 configuration[0].task[0].id "7d49a845-1f0b-4e87-82ee-d4523ff86a4d1" is not a UUID; the task gets a new id when published.',
      '83:21 provenance[0].datetime "2021-11-30 15:18:37.743234 -0700" is not an ISO 8601 date and time (such as 2021-11-30T15:18:37-07:00).',
    ]);
    // The format has no version: the option wins over the image tag.
    expect(manifest.build.version).toBe('2.3.0');
    expect(manifest.product.mimeType).toBe('application/smart.v1');
    expect(manifest.build.configurations[0]).toMatchObject({ id: '5d43a845-1f0b-4e87-82ee-d45fff86a499', tasks: [{ name: 'My SMART Application', ports: [80] }] });
    expect(manifest.build.configurations[0]!.tasks[0]).not.toHaveProperty('id');
  });

  it('--strict turns the defects into errors, all of them listed', async () => {
    const error = await failure(cdsHooks, true);
    expect(where(error.problems)).toEqual(CDS_HOOKS_DEFECTS.map((d) => `${d}.`));
    expect(error.warnings).toEqual([]);
    expect(error.format).toBe('marketplace.json');
    expect(error.message).toBe(`${cdsHooks}:2:16: $schema "../schema/build.json" is not a URI.`);
    expect(where((await failure(smart, true)).problems)).toEqual([
      '2:16 $schema "../schema/build.json" is not a URI.',
      '54:19 configuration[0].task[0].id "7d49a845-1f0b-4e87-82ee-d4523ff86a4d1" is not a UUID.',
      '83:21 provenance[0].datetime "2021-11-30 15:18:37.743234 -0700" is not an ISO 8601 date and time (such as 2021-11-30T15:18:37-07:00).',
    ]);
  });
});

interface SpecFixture {
  marketplace_url: string;
  product: {
    uuid: string;
    build: { uuid: string; binary: { registry: string; image: string }; dependency: object[] };
    facts: Record<string, unknown> & { name?: string; runtime_dependencies: object[] };
  };
  configuration: { default?: boolean; task: Record<string, unknown>[] }[];
  provenance: object[];
}

/** A small valid file in the specification's format, changed per test. */
function spec(change: (data: SpecFixture) => void = () => undefined): SpecFixture {
  const data: SpecFixture = {
    marketplace_url: 'https://marketplace.example.org',
    product: {
      uuid: '6a28a27a-1d29-4f81-b36c-3b6f0cf09705',
      build: { uuid: 'b950a06f-22d1-4f33-ab01-38f086122ef8', binary: { registry: 'https://index.docker.io/v1/', image: 'acme/chart:3.0.2' }, dependency: [] },
      facts: {
        name: 'Chart',
        organization: [],
        stewards: [],
        licensing: [],
        technology_mime_type: '',
        domain: [],
        cybersecurity: [],
        customer_service: [],
        data_access: [],
        identify_and_access_management: [],
        runtime_dependencies: [],
        networking: [],
      },
    },
    configuration: [{ default: true, task: [{ id: '1e820e4b-2bfa-4cb8-aa14-0fe97a0c870f', label: 'web', ports: [8080] }] }],
    provenance: [],
  };
  change(data);
  return data;
}

describe('marketplace.json: mapping and errors', () => {
  it('a minimal file: version from the image tag, no label when the facts are empty', async () => {
    const { manifest, warnings } = await loadManifest(specFile(spec()));
    expect(warnings).toEqual([]);
    expect(manifest.build.version).toBe('3.0.2');
    expect(manifest.product).toEqual({ id: '6a28a27a-1d29-4f81-b36c-3b6f0cf09705', name: 'Chart', licenses: [], screenshots: [] });
    expect(manifest).not.toHaveProperty('label');
  });

  it("a licence's terms become its description", async () => {
    const file = spec((data) => {
      data.product.facts.licensing = [
        { name: 'Acme EULA', url: 'https://acme.example/eula', terms: 'Single site, no redistribution.' },
        { name: 'MIT', url: 'https://opensource.org/license/mit' },
      ];
    });
    const { manifest } = await loadManifest(specFile(file));
    expect(manifest.product.licenses).toEqual([
      { name: 'Acme EULA', url: 'https://acme.example/eula', description: 'Single site, no redistribution.' },
      { name: 'MIT', url: 'https://opensource.org/license/mit' },
    ]);
  });

  it('usable runtime dependencies become dependencies (once per interface); mappings are JSON text', async () => {
    const iface = '0f0a3c0e-5b8e-4a43-9a59-3c1f7f6f2a11';
    const { manifest, warnings } = await loadManifest(
      specFile(
        spec((d) => {
          d.product.facts.runtime_dependencies = [
            { uuid: 'a02095be-0cbd-41bc-845f-d2897e2319e9', build: [], interface_id: iface, required: true, mappings: '{"FHIR_URL":"url"}' },
            { uuid: 'a02095be-0cbd-41bc-845f-d2897e2319e9', build: [], interface_id: iface },
          ];
          d.product.build.dependency = [{ uuid: 'a02095be-0cbd-41bc-845f-d2897e2319e9', build: [] }];
        }),
      ),
    );
    expect(manifest.build.dependencies).toEqual([{ interface: iface, required: true, mappings: { FHIR_URL: 'url' } }]);
    expect(where(warnings)).toEqual(['12:9 product.build.dependency[0] has no interface_id, so there is no interface to depend on; the dependency is skipped.']);
  });

  it('a JSON syntax error', async () => {
    const file = specFile('{\n  "marketplace_url": "https://m.example.org",\n  "product": {,\n}');
    const error = await failure(file);
    expect(error.message).toBe(`${file}:3:15: invalid JSON: expected a property name in double quotes, found ",".`);
    expect(error.format).toBe('marketplace.json');
  });

  it('a wrong type deep inside is an error in both modes, at the value', async () => {
    const file = specFile(spec((d) => (d.configuration[0]!.task[0]!.memory_minimum = '128')));
    for (const strict of [false, true]) {
      expect(where((await failure(file, strict)).problems)).toEqual(['38:29 configuration[0].task[0].memory_minimum must be a number.']);
    }
  });

  it('two configurations marked default, or none', async () => {
    const two = specFile(spec((d) => d.configuration.push({ default: true, task: [{ label: 'other' }] })));
    expect(where((await failure(two)).problems)).toEqual(['42:18 configuration[1].default makes a second default configuration; exactly one may be the default.']);
    const none = specFile(spec((d) => (d.configuration = [{ default: false, task: [{ label: 'a' }] }, { default: false, task: [{ label: 'b' }] }])));
    expect(where((await failure(none)).problems)).toEqual(['28:20 configuration has no default configuration; mark exactly one with default: true.']);
  });

  it('a single configuration that does not say default: a warning, and it is the default', async () => {
    const file = specFile(spec((d) => delete d.configuration[0]!.default));
    const { manifest, warnings } = await loadManifest(file);
    expect(where(warnings)).toEqual(['29:5 configuration[0] does not say "default": true; as the only configuration it is the default.']);
    expect(manifest.build.configurations[0]).toMatchObject({ name: 'default', default: true });
    expect(where((await failure(file, true)).problems)).toEqual(['29:5 configuration[0] does not say "default": true.']);
  });

  it('a duplicate task label, and missing required fields', async () => {
    const duplicate = specFile(spec((d) => d.configuration[0]!.task.push({ label: 'web' })));
    expect(where((await failure(duplicate)).problems)).toEqual(['40:20 configuration[0].task[1].label "web" is used twice in configuration "default"; task names must be unique within a configuration.']);
    const missing = specFile(spec((d) => delete d.product.facts.name));
    expect(where((await failure(missing)).problems)).toEqual(['13:14 product.facts.name is required.']);
  });

  it('a registry with a port in the image: not a tag', async () => {
    const { manifest } = await loadManifest(specFile(spec((d) => (d.product.build.binary = { registry: 'http://localhost:5000', image: 'localhost:5000/chart' }))));
    expect(manifest.build.image).toEqual({ registry: 'http://localhost:5000', repository: 'localhost:5000/chart', tag: 'latest' });
    expect(manifest.build.version).toBe('latest');
  });

  it('picks the format by extension, else by content', async () => {
    const yamlNamed = join(scratch, 'manifest');
    writeFileSync(yamlNamed, JSON.stringify(spec()));
    expect((await loadManifest(yamlNamed)).manifest.format).toBe('marketplace.json');
  });
});
