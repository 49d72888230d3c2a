/**
 * `hsp agent listen` as operators run it: the built bin/hsp in a child process (`npm test`
 * builds dist/ first), with the exec orchestrator running a real hook. SIGTERM drains,
 * SIGKILL mid-deploy is survived by the next start, the health endpoints answer, and a
 * configuration that cannot work ends in one sentence.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../src/index.js';
import { hsp as hspInProcess } from '../../helpers/cli.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, spawnAgent, writeHook, type Catalogue } from './harness.js';


const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let catalogue: Catalogue;
let tmp: string;
const children: { kill(signal: NodeJS.Signals): void }[] = [];

beforeAll(async () => {
  owner = await m.user('Otto Operator');
  catalogue = await deployableBuild(m);
  tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-listen-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

/** The agent's environment: a marketplace, a signed-in user, and a config directory of its own. */
function agentEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_') && name !== 'DOCKER_HOST'));
  return { ...env, HSP_URL: m.url, HSP_TOKEN: owner.token, HSP_CONFIG_DIR: join(tmp, 'config') };
}

/** Starts `hsp agent listen …`; its stdout lines land in `logs` as they come. */
function listen(args: string[]) {
  const agent = spawnAgent(args, agentEnv());
  children.push(agent.child);
  return agent;
}

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
}

/** A state directory with the test hook, whose deploys wait for `release` while `hold` exists. */
async function heldHook(name: string): Promise<{ state: string; argv: string[] }> {
  const state = await mkdtemp(join(tmp, `${name}-`));
  const hook = await writeHook(state);
  await writeFile(join(state, 'hold'), '');
  return { state, argv: ['--orchestrator', 'exec', '--exec', process.execPath, hook, state] };
}

describe('hsp agent listen in a child process', () => {
  it('serves health checks; on SIGTERM finishes the in-flight deploy, starts nothing new, and exits 0', { timeout: 60_000 }, async () => {
    const platform = await newPlatform('drain');
    const { state, argv } = await heldHook('drain');
    const agent = listen(['--platform', platform.name, '--health-port', '0', '--grace-period', '30s', ...argv]);
    const { url } = await agent.logs.waitFor((e) => e.event === 'health.listening', 'the health server', 0, 30_000);
    await agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
    const healthz = await fetch(`${String(url)}/healthz`);
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);
    const readyz = await fetch(`${String(url)}/readyz`);
    expect([readyz.status, await readyz.json()]).toEqual([200, { status: 'ready' }]);

    const inFlight = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    await agent.logs.waitFor((e) => e.event === 'deploy.started' && e.instance === inFlight.id, 'the deploy');
    agent.child.kill('SIGTERM');
    await agent.logs.waitFor((e) => e.event === 'agent.stopping', 'the stop');
    const late = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    await writeFile(join(state, 'release'), '');

    const exit = await agent.exited;
    expect(exit).toEqual({ code: 0, signal: null, stderr: '' });
    expect(agent.logs.of('deploy.done', inFlight.id)).toHaveLength(1);
    expect(agent.logs.of('agent.stopped')).toEqual([expect.objectContaining({ drained: true })]);
    expect(agent.logs.entries.some((e) => e.instance === late.id)).toBe(false);
    expect((await owner.client.instances.retrieve(owner.id, platform.id, inFlight.id)).deployed_at).not.toBeNull();
    expect((await owner.client.instances.retrieve(owner.id, platform.id, late.id)).deployed_at).toBeNull();
    expect(await readFile(join(state, 'calls.log'), 'utf8')).not.toContain(late.id);
    // The product is the log: every line JSON, none carrying the token.
    expect(JSON.stringify(agent.logs.entries)).not.toContain(owner.token);
  });

  it('killed with SIGKILL in the middle of a deploy, converges when started again', { timeout: 60_000 }, async () => {
    const platform = await newPlatform('killed');
    const { state, argv } = await heldHook('killed');
    const first = listen(['--platform', platform.id, ...argv]);
    await first.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    await first.logs.waitFor((e) => e.event === 'deploy.started' && e.instance === instance.id, 'the deploy');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect((await owner.client.instances.retrieve(owner.id, platform.id, instance.id)).deployed_at).toBeNull();

    const second = listen(['--platform', platform.id, ...argv]);
    const again = await second.logs.waitFor((e) => e.event === 'deploy.started' && e.instance === instance.id, 'the deploy after the restart', 0, 30_000);
    expect(again.reason).toBe('missing');
    await writeFile(join(state, 'release'), '');
    const done = await second.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy to finish');
    const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(record.deployed_at).not.toBeNull();
    expect(record.launch_bindings.deployment).toMatchObject({ orchestrator: 'exec', fingerprint: done.fingerprint });
    expect(await readFile(join(state, `${instance.id}.running`), 'utf8')).toBe(done.fingerprint);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null, stderr: '' });
    expect(second.logs.of('deploy.done', instance.id)).toHaveLength(1);
  });
});

describe('hsp agent listen refuses a configuration that cannot work', () => {
  /** A port something else listens on, for as long as the test runs. */
  async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it.each([
    { args: ['--orchestrator', 'exec'], code: 2, says: '--orchestrator exec needs the command to run: --exec /path/to/hook [ARG…].' },
    { args: ['--orchestrator', 'dry-run', '--exec', '/bin/true'], code: 2, says: '--exec works only with --orchestrator exec, not with dry-run.' },
    { args: ['--orchestrator', 'dry-run', '--grace-period', 'soon'], code: 2, says: '--grace-period must be a duration such as 30s, 2m or 1500ms, not "soon".' },
    { args: ['--orchestrator', 'dry-run', '--concurrency', '0'], code: 2, says: '--concurrency must be a whole number from 1 to 256, not "0".' },
    { args: ['--orchestrator', 'dry-run', '--health-port', '70000'], code: 2, says: '--health-port must be a port number from 0 to 65535, not "70000".' },
    { args: ['--orchestrator', 'swarm'], code: 2, says: /^Option '--orchestrator <kind>' argument 'swarm' is invalid\./ },
  ])('$args: exit $code with one sentence', async ({ args, code, says }) => {
    const run = await hspInProcess(['agent', 'listen', '--platform', 'anything', ...args], { env: agentEnv() });
    expect(run.code).toBe(code);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    if (typeof says === 'string') expect(run.stderr.trimEnd()).toBe(says);
    else expect(run.stderr).toMatch(says);
    expect(run.stdout).toBe('');
  });

  it('a log level the logger does not know: exit 2 with one sentence', async () => {
    const run = await hspInProcess(['agent', 'listen', '--platform', 'anything', '--orchestrator', 'dry-run'], { env: { ...agentEnv(), HSP_LOG_LEVEL: 'verbose' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('HSP_LOG_LEVEL must be debug, info, warn or error, not "verbose".\n');
  });

  it('an unknown platform, an unreachable Docker Engine and a taken health port: one sentence each, no stack trace', async () => {
    const unknown = await hspInProcess(['agent', 'listen', '--platform', 'no-such-host', '--orchestrator', 'dry-run'], { env: agentEnv() });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('You have no platform named "no-such-host"; create it with "hsp agent register --platform no-such-host".\n');

    const platform = await newPlatform('misconfigured');
    const docker = await hspInProcess(['agent', 'listen', '--platform', platform.id, '--docker-host', `unix://${join(tmp, 'no-docker.sock')}`], { env: agentEnv() });
    expect(docker.code).not.toBe(0);
    expect(docker.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(docker.stderr).toMatch(/docker/i);
    expect(docker.stderr).not.toMatch(/^\s+at /m);
    // Without the flag, DOCKER_HOST names the Engine, as for the docker CLI.
    const fromEnvironment = await hspInProcess(['agent', 'listen', '--platform', platform.id], { env: { ...agentEnv(), DOCKER_HOST: `unix://${join(tmp, 'env-docker.sock')}` } });
    expect(fromEnvironment.code).not.toBe(0);
    expect(fromEnvironment.stderr).toContain('env-docker.sock');

    const taken = await takenPort();
    try {
      const health = await hspInProcess(['agent', 'listen', '--platform', platform.id, '--orchestrator', 'dry-run', '--health-port', String(taken.port)], { env: agentEnv() });
      expect(health.code).toBe(2);
      expect(health.stderr).toBe(`--health-port ${taken.port} is already in use on 127.0.0.1; choose another port.\n`);
    } finally {
      await taken.release();
    }
  });
});
