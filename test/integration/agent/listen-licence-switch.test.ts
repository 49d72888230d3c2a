/**
 * `hsp agent listen --no-licence-check` (or HSP_AGENT_LICENCE_CHECK=false), as operators run
 * it (the built bin/hsp in a child process, the dry-run orchestrator): for a marketplace whose
 * authorization endpoint fails, the agent says once at start that it checks no licences, and
 * deploys a licensed product its owner holds no entitlement for. `--licence-check` wins over the
 * variable; a value that is no switch is one sentence.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS_OFF } from '../../../src/agent/licence-check.js';
import type { Platform } from '../../../src/index.js';
import { hsp as hspInProcess } from '../../helpers/cli.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, spawnAgent } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let buildId = '';
let tmp: string;
const children: { kill(signal: NodeJS.Signals): void }[] = [];

beforeAll(async () => {
  owner = await m.user('Ola Operator');
  // A licensed product the owner holds no entitlement for: with checks on, never deployed.
  const catalogue = await deployableBuild(m, { name: `Licensed ${randomUUID().slice(0, 8)}` });
  buildId = catalogue.buildId;
  const license = await m.admin.licenses.create({ name: `Switch licence ${randomUUID().slice(0, 8)}`, url: `https://example.com/licences/${randomUUID()}`, expiry: 'indefinite' });
  await m.admin.productLicenses.create(catalogue.productId, { license_id: license.id });
  tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-licence-switch-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

function agentEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_') && name !== 'DOCKER_HOST'));
  return { ...env, HSP_URL: m.url, HSP_TOKEN: owner.token, HSP_CONFIG_DIR: join(tmp, `config-${randomUUID().slice(0, 8)}`), ...extra };
}

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${randomUUID().slice(0, 8)}` });
}

/** Starts an agent for a new platform, deploys one instance, and returns the agent's log once that settles. */
async function deployWith(args: string[], env: NodeJS.ProcessEnv = {}) {
  const platform = await newPlatform('switch');
  const agent = spawnAgent(['--platform', platform.id, '--orchestrator', 'dry-run', ...args], agentEnv(env));
  children.push(agent.child);
  await agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
  const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });
  await agent.logs.waitFor((e) => (e.event === 'deploy.done' || e.event === 'deploy.unlicensed') && e.instance === instance.id, 'the deploy or its refusal', 0, 30_000);
  agent.child.kill('SIGTERM');
  expect(await agent.exited).toMatchObject({ code: 0, stderr: '' });
  return { logs: agent.logs, instance, platform };
}

describe('hsp agent listen: the licence check switch', { timeout: 60_000 }, () => {
  it('--no-licence-check: says so once at start, and deploys without asking', async () => {
    const { logs, instance } = await deployWith(['--no-licence-check']);
    expect(logs.of('licence.unchecked')).toEqual([expect.objectContaining({ level: 'warn', reason: CHECKS_OFF })]);
    const started = logs.entries.findIndex((e) => e.event === 'agent.started');
    expect(logs.entries[started + 1]?.event).toBe('licence.unchecked');
    expect(logs.of('deploy.done', instance.id)).toHaveLength(1);
    expect(logs.of('deploy.unlicensed')).toEqual([]);
  });

  it('HSP_AGENT_LICENCE_CHECK=false does the same; --licence-check wins over it', async () => {
    const off = await deployWith([], { HSP_AGENT_LICENCE_CHECK: 'false' });
    expect(off.logs.of('licence.unchecked')).toHaveLength(1);
    expect(off.logs.of('deploy.done', off.instance.id)).toHaveLength(1);

    const on = await deployWith(['--licence-check'], { HSP_AGENT_LICENCE_CHECK: 'false' });
    expect(on.logs.of('licence.unchecked')).toEqual([]);
    expect(on.logs.of('deploy.unlicensed', on.instance.id)).toHaveLength(1);
    expect(on.logs.of('deploy.done')).toEqual([]);
  });

  it('a value of HSP_AGENT_LICENCE_CHECK that is no switch: exit 2 with one sentence', async () => {
    const run = await hspInProcess(['agent', 'listen', '--platform', 'anything', '--orchestrator', 'dry-run'], { env: agentEnv({ HSP_AGENT_LICENCE_CHECK: 'sometimes' }) });
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'HSP_AGENT_LICENCE_CHECK must be true or false, not "sometimes".\n' });
  });
});
