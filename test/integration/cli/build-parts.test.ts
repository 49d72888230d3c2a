import { beforeAll, describe, expect, it } from 'vitest';
import type { Configuration, Dependency, Exposure, Parameter, Task } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
const build = ['--product', 'Parts App', '--build', '1.0.0'];
let fhirId = '';

beforeAll(async () => {
  const product = await m.admin.products.create({ name: 'Parts App' });
  await m.admin.builds.create(product.id, { version: '1.0.0' });
  fhirId = (await m.admin.interfaces.create({ name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' })).id;
  await m.admin.interfaces.create({ name: 'CDS Hooks', uri: 'https://cds-hooks.org', version: '1.0' });
});

describe("a build's parts", () => {
  it('configurations and their tasks, by name', async () => {
    const configuration = json<Configuration>(await hsp(['configurations', 'create', ...build, '--name', 'default', '--json'], { env: env() }));
    const listed = json<Configuration[]>(await hsp(['configurations', 'list', ...build, '--json'], { env: env() }));
    expect(listed.map((c) => c.id)).toEqual([configuration.id]);

    const inConfiguration = [...build, '--configuration', 'default'];
    const task = json<Task>(await hsp(['tasks', 'create', ...inConfiguration, '--name', 'web', '--minimum', '1', '--maximum', '3', '--memory', '512', '--json'], { env: env() }));
    expect(task).toMatchObject({ name: 'web', minimum: 1, maximum: 3, memory: 512, configuration_id: configuration.id });
    const table = ok(await hsp(['tasks', 'list', ...inConfiguration, '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+NAME\s+MINIMUM\s+MAXIMUM\s+MEMORY \(MB\)\n/);
    expect(table.stdout).toMatch(/web\s+1\s+3\s+512\n/);

    const bad = await hsp(['tasks', 'update', 'web', ...inConfiguration, '--memory', 'lots'], { env: env() });
    expect(bad).toMatchObject({ code: 2, stderr: '--memory must be a whole number, got "lots".\n' });
    const updated = json<Task>(await hsp(['tasks', 'update', 'web', ...inConfiguration, '--memory', '1024', '--json'], { env: env() }));
    expect(updated.memory).toBe(1024);
    ok(await hsp(['tasks', 'delete', 'web', ...inConfiguration, '--yes'], { env: env() }));
    ok(await hsp(['configurations', 'rm', 'default', ...build, '--yes'], { env: env() }));
    expect(json<unknown[]>(await hsp(['configurations', 'list', ...build, '--json'], { env: env() }))).toEqual([]);
  });

  it("exposures and dependencies name their interface; they are found by the interface's name", async () => {
    const exposure = json<Exposure>(await hsp(['exposures', 'create', ...build, '--interface', 'FHIR R4', '--json'], { env: env() }));
    expect(exposure.interface_id).toBe(fhirId);
    const shown = json<Exposure>(await hsp(['exposures', 'show', 'FHIR R4', ...build, '--json'], { env: env() }));
    expect(shown.id).toBe(exposure.id);
    const unknown = await hsp(['exposures', 'create', ...build, '--interface', 'SOAP'], { env: env() });
    expect(unknown).toMatchObject({ code: 1, stderr: 'No interface named "SOAP".\n' });
    const notExposed = await hsp(['exposures', 'show', 'CDS Hooks', ...build], { env: env() });
    expect(notExposed).toMatchObject({ code: 1, stderr: 'No exposure with interface "CDS Hooks".\n' });

    const dependency = json<Dependency>(await hsp(['dependencies', 'create', ...build, '--interface', 'CDS Hooks', '--mappings', '{"HOOK":"patient-view"}', '--json'], { env: env() }));
    expect(dependency.mappings).toEqual({ HOOK: 'patient-view' });
    const piped = ok(await hsp(['dependencies', 'list', ...build], { env: env() }));
    expect(piped.stdout).toContain(`${dependency.id}\t${dependency.interface_id}\t{"HOOK":"patient-view"}\t`);
    ok(await hsp(['dependencies', 'delete', 'CDS Hooks', ...build, '--yes'], { env: env() }));
  });

  it("parameters belong to an exposure given by its interface's name", async () => {
    const onExposure = [...build, '--exposure', 'FHIR R4'];
    const parameter = json<Parameter>(await hsp(['parameters', 'create', ...onExposure, '--name', 'FHIR_BASE_URL', '--required', '--json'], { env: env() }));
    expect(parameter).toMatchObject({ name: 'FHIR_BASE_URL', required: true });
    ok(await hsp(['parameters', 'create', ...onExposure, '--name', 'FHIR_TIMEOUT', '--required', 'false'], { env: env() }));
    const table = ok(await hsp(['parameters', 'list', ...onExposure, '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/FHIR_BASE_URL\s+yes\n/);
    expect(table.stdout).toMatch(/FHIR_TIMEOUT\s+no\n/);
    expect(table.stderr).toBe('2 parameters\n');
    const bool = await hsp(['parameters', 'update', 'FHIR_TIMEOUT', ...onExposure, '--required', 'maybe'], { env: env() });
    expect(bool).toMatchObject({ code: 2, stderr: '--required must be true or false, got "maybe".\n' });
    const limited = json<Parameter[]>(await hsp(['parameters', 'list', ...onExposure, '--limit', '1', '--json'], { env: env() }));
    expect(limited).toHaveLength(1);
  });
});
