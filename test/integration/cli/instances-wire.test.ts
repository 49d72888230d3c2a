/**
 * `hsp instances deploy --wire INTERFACE=INSTANCE` pins the provider of one of the build's
 * dependencies as `launch_bindings.wiring` (`{ "<interface id>": "<instance id>" }`), with the
 * interface named as other commands name it (name, URI or id); a malformed value is a usage
 * error (exit 2), a pin the marketplace contradicts a failure (exit 1), each one sentence with
 * nothing created. `show` prints the pins and a failed deployment's whole sentence. The built
 * bin/hsp against `hsp serve` on loopback (the table of refusals runs the same command tree
 * in-process, which keeps the file fast).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/index.js';
import { reportFailed } from '../../../src/agent/report.js';
import { hsp } from '../../helpers/cli.js';
import { spawnHsp, type HspExit } from '../../helpers/hsp-process.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const signedIn = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken! });
const where = ['--platform', 'wire-lab'];
const dependent = [...where, '--product', 'Wired App', '--build', '1.0.0'];

let me: string;
let platformId: string;
let fhirId: string;
let provider: Instance;
let otherProvider: Instance;
let bystander: Instance;
beforeAll(async () => {
  me = (await m.admin.session.whoami())!.user.id;
  fhirId = (await m.admin.interfaces.create({ name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' })).id;
  await m.admin.interfaces.create({ name: 'Terminology', uri: 'http://hl7.org/fhir/terminology', version: '1' });
  const product = async (name: string) => {
    const created = await m.admin.products.create({ name });
    await m.admin.products.publish(created.id);
    return { productId: created.id, buildId: (await m.admin.builds.create(created.id, { version: '1.0.0' })).id };
  };
  const server = await product('Wired Server');
  await m.admin.exposures.create(server.productId, server.buildId, { interface_id: fhirId });
  const app = await product('Wired App');
  await m.admin.dependencies.create(app.productId, app.buildId, { interface_id: fhirId, required: true, mappings: { FHIR_BASE_URL: 'url' } });
  const other = await product('Unrelated');
  platformId = (await m.admin.platforms.create(me, { name: 'wire-lab' })).id;
  provider = await m.admin.instances.create(me, platformId, { build_id: server.buildId });
  otherProvider = await m.admin.instances.create(me, platformId, { build_id: server.buildId });
  bystander = await m.admin.instances.create(me, platformId, { build_id: other.buildId });
});

const run = (args: string[]): Promise<HspExit> => spawnHsp(args, { env: signedIn() }).exited;
const inProcess = (args: string[]) => hsp(args, { env: signedIn() });
const instanceCount = async () => (await m.admin.instances.list(me, platformId)).items.length;

describe('hsp instances deploy --wire', () => {
  it('keeps each pin as launch_bindings.wiring by interface id, the interface given by name, URI or id', async () => {
    for (const [name, cli] of [['FHIR R4', run], ['http://hl7.org/fhir/R4', inProcess], [fhirId, inProcess]] as const) {
      const done = await cli(['instances', 'deploy', ...dependent, '--wire', `${name}=${provider.id}`, '--set', 'LOG_LEVEL=debug', '--json']);
      expect(done).toMatchObject({ code: 0, stderr: '' });
      expect((JSON.parse(done.stdout) as Instance).launch_bindings).toEqual({ environment: { LOG_LEVEL: 'debug' }, wiring: { [fhirId]: provider.id } });
    }
  });

  it('refuses a malformed value with one sentence and exit 2, before asking the marketplace anything', async () => {
    const before = await instanceCount();
    expect(await run(['instances', 'deploy', ...dependent, '--wire', 'FHIR R4'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: '--wire must be INTERFACE=INSTANCE (the interface\'s name, URI or id, and the id of the instance that provides it), got "FHIR R4".\n',
    });
    expect(await run(['instances', 'deploy', ...dependent, '--wire', 'FHIR R4=the-server'])).toMatchObject({
      code: 2,
      stderr: '--wire "FHIR R4=the-server": "the-server" is not an instance id (a UUID); "hsp instances list" shows them.\n',
    });
    expect(await instanceCount()).toBe(before);
  });

  it('refuses, in one sentence with exit 1 and nothing created, a pin the marketplace contradicts', async () => {
    const before = await instanceCount();
    const missing = '0b0b0b0b-0000-4000-8000-00000000dead';
    const cases: [string[], string][] = [
      [['--wire', `SOAP=${provider.id}`], `--wire "SOAP=${provider.id}": no interface has the name or URI "SOAP".\n`],
      [['--wire', `Terminology=${provider.id}`], `Build 1.0.0 of "Wired App" does not depend on interface "Terminology", so --wire "Terminology=${provider.id}" has nothing to wire.\n`],
      [['--wire', `FHIR R4=${missing}`], `--wire "FHIR R4=${missing}": platform wire-lab has no instance ${missing}.\n`],
      [['--wire', `FHIR R4=${bystander.id}`], `--wire "FHIR R4=${bystander.id}": instance ${bystander.id} runs a build that does not expose interface "FHIR R4".\n`],
      [
        ['--wire', `FHIR R4=${provider.id}`, '--wire', `http://hl7.org/fhir/R4=${otherProvider.id}`],
        `--wire names two instances for interface "FHIR R4" (FHIR R4=${provider.id} and http://hl7.org/fhir/R4=${otherProvider.id}); a dependency is wired to one.\n`,
      ],
    ];
    for (const [flags, sentence] of cases) expect(await hsp(['instances', 'deploy', ...dependent, ...flags], { env: signedIn() })).toMatchObject({ code: 1, stdout: '', stderr: sentence });
    expect(await instanceCount()).toBe(before);
  });

  it("the confirmation shows the pins (by id), never the variables' values", async () => {
    const done = await run(['instances', 'deploy', ...dependent, '--wire', `FHIR R4=${provider.id}`, '--set', 'CLIENT_SECRET=never-shown']);
    expect(done).toMatchObject({ code: 0, stderr: '✓ Deployed build 1.0.0 of Wired App on platform wire-lab\n' });
    expect(done.stdout).toContain(`\nwiring\t${fhirId} → ${provider.id}\n`);
    expect(done.stdout).toContain('\nenvironment\tCLIENT_SECRET\n');
    expect(done.stdout).not.toContain('never-shown');
  });

  it('--help shows the flag and an example', async () => {
    const help = await hsp(['instances', 'deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--wire <interface=instance>');
    expect(help.stdout).toContain('--wire "FHIR R4=');
  });
});

describe('hsp instances show', () => {
  it("prints the pins, and the agent's whole sentence when a deployment failed (a list cuts it)", async () => {
    const deployed = JSON.parse((await run(['instances', 'deploy', ...dependent, '--wire', `FHIR R4=${provider.id}`, '--set', 'CLIENT_SECRET=never-shown', '--json'])).stdout) as Instance;
    const reason = `Instance ${deployed.id}: the platform's owner may not use product "Wired App": no entitlement to it grants the user, or any of their groups, a licence that is still valid.`;
    expect(await reportFailed({ client: m.admin, ownerId: me, platformId }, deployed, { orchestrator: 'dry-run', error: reason })).toBe(true);

    const shown = await run(['instances', 'show', deployed.id, ...where]);
    expect(shown.code).toBe(0);
    const lines = Object.fromEntries(shown.stdout.trimEnd().split('\n').map((line) => line.split('\t') as [string, string]));
    expect(lines).toMatchObject({ id: deployed.id, environment: 'CLIENT_SECRET', wiring: `${fhirId} → ${provider.id}`, deployment: `failed: ${reason}`, deployed: '' });
    expect(shown.stdout).not.toContain('never-shown');

    const listed = await run(['instances', 'list', ...where]);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(deployed.id))!;
    expect(row.split('\t')[3]).toBe(`failed: ${reason.slice(0, 47)}…`);
  });
});
