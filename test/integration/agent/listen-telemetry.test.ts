/**
 * Telemetry of `hsp agent listen` as operators run it (the built bin/hsp in a child process):
 * `--otel-collector-url` (or HSP_OTEL_COLLECTOR_URL) reaches every deployed task as
 * OPENTELEMETRY_COLLECTOR_URL, and with OTEL_EXPORTER_OTLP_ENDPOINT set the agent sends its
 * own spans and metrics (deploys, removals, reconciles) to a fake OTLP collector, the last of
 * them when SIGTERM stops it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../src/index.js';
import { VERSION } from '../../../src/version.js';
import { hsp as hspInProcess } from '../../helpers/cli.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { moduleLog } from '../../helpers/module-log.js';
import { startFakeCollector, type FakeCollector } from '../../helpers/otlp-collector.js';
import { deployableBuild, spawnAgent, type Catalogue } from './harness.js';

/** OTLP's STATUS_CODE_ERROR. */
const ERROR = 2;

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let catalogue: Catalogue;
let tmp: string;
let collector: FakeCollector;
const children: { kill(signal: NodeJS.Signals): void }[] = [];

beforeAll(async () => {
  owner = await m.user('Tess Telemetry');
  catalogue = await deployableBuild(m);
  tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-telemetry-'));
  collector = await startFakeCollector();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await collector.close();
  await rm(tmp, { recursive: true, force: true });
});

/** The agent's environment: a marketplace, a signed-in user, a config directory of its own, and `extra`. */
function agentEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_') && !name.startsWith('OTEL_') && name !== 'DOCKER_HOST'));
  return { ...env, HSP_URL: m.url, HSP_TOKEN: owner.token, HSP_CONFIG_DIR: join(tmp, 'config'), ...extra };
}

function listen(args: string[], env: NodeJS.ProcessEnv) {
  const agent = spawnAgent(args, env);
  children.push(agent.child);
  return agent;
}

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
}

/** An exec hook that keeps each deployed task's environment in `<dir>/<instance id>.json`. */
async function environmentHook(name: string): Promise<{ dir: string; argv: string[] }> {
  const dir = await mkdtemp(join(tmp, `${name}-`));
  const hook = join(dir, 'hook.mjs');
  await writeFile(
    hook,
    `import { readFileSync, writeFileSync } from 'node:fs';
const input = JSON.parse(readFileSync(0, 'utf8'));
if (process.env.HSP_ACTION === 'deploy') {
  writeFileSync(${JSON.stringify(dir)} + '/' + process.env.HSP_INSTANCE_ID + '.json', JSON.stringify(input.deployment.tasks.map((task) => task.environment)));
}
`,
  );
  return { dir, argv: ['--orchestrator', 'exec', '--exec', process.execPath, hook] };
}

describe('hsp agent listen with telemetry', () => {
  it('gives the tasks the collector, and sends its deploy and reconcile spans and durations to OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: 60_000 }, async () => {
    const platform = await newPlatform('traced');
    const env = agentEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_METRIC_EXPORT_INTERVAL: '600000' });
    const agent = listen(['--platform', platform.id, '--orchestrator', 'dry-run', '--otel-collector-url', 'http://otel-collector.platform:4318'], env);
    await agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    // The dry run lists the names a task gets (never their values).
    const [dryRun] = agent.logs.of('dry_run.deploy').filter((e) => e.instance_id === instance.id);
    expect(dryRun?.environment).toContain('OPENTELEMETRY_COLLECTOR_URL');

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null, stderr: '' });

    const ours = collector.spans.filter((span) => span.attributes['hsp.platform.id'] === platform.id);
    const deploys = ours.filter((span) => span.name === 'hsp.agent.deploy');
    expect(deploys).toEqual([
      expect.objectContaining({
        attributes: expect.objectContaining({ 'hsp.instance.id': instance.id, 'hsp.build.id': catalogue.buildId, 'hsp.outcome': 'done', 'hsp.orchestrator': 'dry-run', 'hsp.deploy.reason': 'missing', 'hsp.workloads': 0 }),
      }),
    ]);
    expect(deploys[0]!.status.code).not.toBe(ERROR);
    expect(deploys[0]!.endMs).toBeGreaterThanOrEqual(deploys[0]!.startMs);
    expect(deploys[0]!.resource).toMatchObject({ 'service.name': 'hsp-agent', 'service.version': VERSION });
    const reconciles = ours.filter((span) => span.name === 'hsp.agent.reconcile');
    expect(reconciles.length).toBeGreaterThan(0);
    expect(reconciles[0]!.attributes).toMatchObject({ 'hsp.outcome': 'done', 'hsp.reconcile.reason': 'subscribed' });

    const durations = collector.points.filter((point) => point.metric === 'hsp.agent.deploy.duration' && point.attributes['hsp.orchestrator'] === 'dry-run');
    expect(durations).toContainEqual(expect.objectContaining({ unit: 's', attributes: { 'hsp.outcome': 'done', 'hsp.orchestrator': 'dry-run' }, count: expect.any(Number) }));
    expect(collector.points.some((point) => point.metric === 'hsp.agent.reconcile.duration')).toBe(true);

    // Neither the agent's token nor any environment value rides along.
    const sent = JSON.stringify({ spans: collector.spans.map((span) => [span.name, span.attributes]), points: collector.points.map((point) => point.attributes) });
    for (const secret of [owner.token, 'otel-collector.platform', '8080', 'hello']) expect(sent).not.toContain(secret);
  });

  it('HSP_OTEL_COLLECTOR_URL gives every task the collector; --otel-collector-url wins over it; no OpenTelemetry module is loaded', { timeout: 60_000 }, async () => {
    for (const [args, expected] of [
      [[], 'http://from-env:4318'],
      [['--otel-collector-url', 'https://from-flag.example:4318/otlp'], 'https://from-flag.example:4318/otlp'],
    ] as const) {
      const platform = await newPlatform('collector');
      const { dir, argv } = await environmentHook('collector');
      const modules = await moduleLog(dir);
      const agent = listen(['--platform', platform.id, ...argv, ...args], agentEnv({ HSP_OTEL_COLLECTOR_URL: 'http://from-env:4318', ...modules.env }));
      await agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
      const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
      await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
      const environments = JSON.parse(await readFile(join(dir, `${instance.id}.json`), 'utf8')) as Record<string, string>[];
      expect(environments).toEqual([expect.objectContaining({ OPENTELEMETRY_COLLECTOR_URL: expected, PORT: '8080' })]);
      agent.child.kill('SIGTERM');
      expect((await agent.exited).code).toBe(0);
      // Without OTEL_EXPORTER_OTLP_ENDPOINT the agent sends nothing of its own, and loads no SDK to do it.
      expect(collector.spans.some((span) => span.attributes['hsp.platform.id'] === platform.id)).toBe(false);
      const loaded = await modules.loaded();
      expect(loaded.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
      expect(loaded.filter((url) => url.includes('@opentelemetry'))).toEqual([]);
    }
  });
});

describe('hsp agent listen refuses a collector URL that cannot work', () => {
  it.each([
    [['--otel-collector-url', 'otel-collector:4318'], {}, '--otel-collector-url must be an http:// or https:// URL, such as http://otel-collector:4318, not "otel-collector:4318".'],
    [['--otel-collector-url', 'not a url'], {}, '--otel-collector-url must be an http:// or https:// URL, such as http://otel-collector:4318, not "not a url".'],
    [[], { HSP_OTEL_COLLECTOR_URL: 'grpc://collector:4317' }, 'HSP_OTEL_COLLECTOR_URL must be an http:// or https:// URL, such as http://otel-collector:4318, not "grpc://collector:4317".'],
    [[], { OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, such as http://localhost:4318, not "127.0.0.1:4318".'],
  ])('%j %j: exit 2 with one sentence', async (args, env, says) => {
    const run = await hspInProcess(['agent', 'listen', '--platform', 'anything', '--orchestrator', 'dry-run', ...args], { env: agentEnv(env) });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${says}\n`);
    expect(run.stdout).toBe('');
  });
});
