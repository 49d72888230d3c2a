/**
 * `hsp instances list` summarises `launch_bindings` for people: the environment variables by
 * name (their values may be secrets, and a JSON column grew to 220 characters) and the state the
 * platform agent last reported; --json and -o yaml keep the whole object. Against the real
 * marketplace on loopback, with the agent's reports written by the agent's own report code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Instance } from '../../../src/index.js';
import { reportDeployed, reportFailed, inputOf } from '../../../src/agent/report.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const signedIn = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken! });
const where = ['--platform', 'table-lab'];

/** The operator's input of the long case: eight variables, two of them secrets. */
const environment = {
  FHIR_BASE_URL: 'https://fhir.example.org/r4',
  CLIENT_ID: 'growth-chart',
  CLIENT_SECRET: 's3cr3t-never-shown',
  OPENTELEMETRY_COLLECTOR_URL: 'https://otel.example.org:4318',
  CLIENT_SCOPES: 'launch patient/Patient.read patient/Observation.read',
  PORT: '8080',
  LOG_LEVEL: 'info',
  DATABASE_PASSWORD: 'hunter2-never-shown',
};

const reason = 'The image ghcr.io/example/growth-chart:1.4.0 could not be pulled: the registry refused the credentials.';

let deployed: Instance;
let failed: Instance;
let pending: Instance;
beforeAll(async () => {
  const me = (await m.admin.session.whoami())!.user!;
  const product = await m.admin.products.create({ name: 'Tabled' });
  const build = await m.admin.builds.create(product.id, { version: '1.0.0' });
  const platform = await m.admin.platforms.create(me.id, { name: 'table-lab' });
  const place = { client: m.admin, ownerId: me.id, platformId: platform.id };
  const create = (env: Record<string, string>) => m.admin.instances.create(me.id, platform.id, { build_id: build.id, launch_bindings: Object.keys(env).length ? { environment: env } : {} });

  deployed = await create(environment);
  const report = { orchestrator: 'docker', fingerprint: 'f'.repeat(64), workloads: [{ container: 'a'.repeat(64), ports: { '8080/tcp': 49153 } }, { container: 'b'.repeat(64), ports: { '8080/tcp': 49154 } }] };
  expect(await reportDeployed(place, deployed.id, inputOf(deployed), report)).toBe('written');

  failed = await create({ PORT: '8080' });
  // The agent clears deployed_at when a deploy fails: give it one to clear.
  failed = await m.admin.instances.update(me.id, platform.id, failed.id, { deployed_at: new Date().toISOString() });
  expect(await reportFailed(place, failed, { orchestrator: 'docker', error: reason })).toBe(true);

  pending = await create({});
});

describe('hsp instances list', () => {
  it('on a terminal: variable names (never values) and the agent-reported state, in a table that fits', async () => {
    const run = ok(await hsp(['instances', 'list', ...where, '--no-color'], { env: signedIn(), tty: true }));
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+BUILD ID\s+ENVIRONMENT\s+DEPLOYMENT\s+DEPLOYED\s+CREATED$/);
    const row = (id: string) => lines.find((line) => line.startsWith(id))!;
    expect(row(deployed.id)).toContain('CLIENT_ID, CLIENT_SCOPES +6 more');
    expect(row(deployed.id)).toContain('deployed: docker, 2 workloads');
    // A failure's sentence is cut short; `show -o yaml` has it whole.
    expect(row(failed.id)).toMatch(/\bPORT\s+failed: The image ghcr\.io\/example\/growth-chart:1\.4\.0 co…\s/);
    expect(row(pending.id)).toMatch(/ {2}pending\s/);
    expect(run.stdout).not.toContain('never-shown');
    expect(run.stdout).not.toContain('{');
    // Two UUIDs, two short summaries and two times: narrower than a terminal.
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(200);
  });

  it('in a pipe (the built bin/hsp): the same summaries as tab-separated fields', async () => {
    const run = await spawnHsp(['instances', 'list', ...where], { env: signedIn() }).exited;
    expect(run).toMatchObject({ code: 0, stderr: '3 instances\n' });
    const fields = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t'));
    const byId = new Map(fields.map((f) => [f[0], f]));
    expect(byId.get(deployed.id)!.slice(2, 4)).toEqual(['CLIENT_ID, CLIENT_SCOPES +6 more', 'deployed: docker, 2 workloads']);
    expect(byId.get(pending.id)!.slice(2, 4)).toEqual(['', 'pending']);
    expect(run.stdout).not.toContain('never-shown');
  });

  it('--json and -o yaml keep the whole launch_bindings object', async () => {
    const listed = json<Instance[]>(await hsp(['instances', 'list', ...where, '--json'], { env: signedIn() }));
    const whole = listed.find((i) => i.id === deployed.id)!;
    expect(whole.launch_bindings.environment).toEqual(environment);
    expect(whole.launch_bindings.deployment).toMatchObject({ orchestrator: 'docker', workloads: [{}, {}] });
    const yaml = ok(await spawnHsp(['instances', 'show', failed.id, ...where, '-o', 'yaml'], { env: signedIn() }).exited.then((e) => ({ ...e, code: e.code ?? -1 })));
    const shown = parse(yaml.stdout) as Instance;
    expect(shown.launch_bindings.deployment).toMatchObject({ orchestrator: 'docker', error: expect.stringContaining('refused the credentials.') });
  });

  it("deploy's confirmation shows the same summaries", async () => {
    const run = ok(await hsp(['instances', 'deploy', ...where, '--product', 'Tabled', '--build', '1.0.0', '--set', 'PORT=8080', '--set', 'CLIENT_SECRET=never-shown'], { env: signedIn() }));
    expect(run.stdout).toContain('environment\tCLIENT_SECRET, PORT\n');
    expect(run.stdout).toContain('deployment\tpending\n');
    expect(run.stdout).not.toContain('never-shown');
  });
});
