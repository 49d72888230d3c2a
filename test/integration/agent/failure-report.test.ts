/**
 * A deploy that fails, or an instance the agent refuses, is reported on the instance itself:
 * `deployed_at` cleared and one sentence under `launch_bindings.deployment.error`, written once
 * however often the retries fail the same way (the write's own update event must not start a
 * loop), and gone with the next deploy that works. The exec orchestrator runs a real hook that
 * fails until a file tells it not to.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { ExecOrchestrator } from '../../../src/agent/orchestrators/exec.js';
import type { Instance, Platform } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, startAgent, type Catalogue, type RunningAgent } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let catalogue: Catalogue;
let tmp: string;
const agents: Agent[] = [];

beforeAll(async () => {
  owner = await m.user('Fay Failure');
  catalogue = await deployableBuild(m);
  tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-failure-'));
});
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop(1_000)));
  await rm(tmp, { recursive: true, force: true });
});

/** A hook that lists nothing, removes anything, and fails every deploy until `STATE/ok` exists. */
async function failingHook(state: string): Promise<string[]> {
  const hook = join(state, 'hook.mjs');
  await writeFile(
    hook,
    `import { existsSync } from 'node:fs';
import { join } from 'node:path';
const action = process.env.HSP_ACTION;
if (action === 'list') process.stdout.write('[]');
if (action === 'deploy' && !existsSync(join(process.argv[2], 'ok'))) {
  process.stderr.write('no room for another container on this host');
  process.exit(3);
}
`,
  );
  return [process.execPath, hook, state];
}

async function agentFor(platform: Platform, state: string): Promise<RunningAgent> {
  const orchestrator = new ExecOrchestrator({ argv: await failingHook(state), platformId: platform.id, log: () => {} });
  const running = await startAgent(owner, platform, orchestrator);
  agents.push(running.agent);
  return running;
}

function deploymentOf(record: Instance): Record<string, unknown> | undefined {
  return record.launch_bindings.deployment as Record<string, unknown> | undefined;
}

describe("the agent's report of a failure", () => {
  it('says why on the instance, once however often the retries fail, and is replaced by the report of the deploy that works', { timeout: 60_000 }, async () => {
    const platform = await owner.client.platforms.create(owner.id, { name: `failing-${Math.random().toString(36).slice(2, 8)}` });
    const state = await mkdtemp(join(tmp, 'state-'));
    const { logs } = await agentFor(platform, state);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, launch_bindings: { environment: { GREETING: 'hi' } } });

    const cleared = await logs.waitFor((e) => e.event === 'report.cleared' && e.instance === instance.id, 'the failure report');
    const failures = () => logs.of('deploy.failed', instance.id);
    // Two more attempts after the report: each fails the same way, and writes nothing.
    await logs.waitFor((e) => e.event === 'deploy.failed' && e.instance === instance.id && failures().length >= 3, 'two retries', logs.entries.indexOf(cleared));
    const reason = failures()[0]!.reason as string;
    expect(reason).toMatch(/no room for another container on this host/);
    expect(failures().every((e) => e.reason === reason)).toBe(true);
    expect(logs.of('report.cleared', instance.id)).toHaveLength(1);
    const failed = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(failed.deployed_at).toBeNull();
    expect(deploymentOf(failed)).toEqual({ orchestrator: 'exec', error: reason, failed_at: expect.any(String) });
    // The operator's input is untouched.
    expect(failed.launch_bindings.environment).toEqual({ GREETING: 'hi' });

    await writeFile(join(state, 'ok'), '');
    const done = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy that works');
    const deployed = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(deployed.deployed_at).not.toBeNull();
    expect(deploymentOf(deployed)).toMatchObject({ orchestrator: 'exec', fingerprint: done.fingerprint });
    expect(deploymentOf(deployed)).not.toHaveProperty('error');
  });

  it('gives the reason an instance is refused, without a deploy', { timeout: 60_000 }, async () => {
    const platform = await owner.client.platforms.create(owner.id, { name: `refusing-${Math.random().toString(36).slice(2, 8)}` });
    const state = await mkdtemp(join(tmp, 'state-'));
    await writeFile(join(state, 'ok'), '');
    const { logs, orchestrator, agent } = await agentFor(platform, state);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, launch_bindings: { environment: { 'NOT A NAME': 'x' } } });

    const refused = await logs.waitFor((e) => e.event === 'deploy.refused' && e.instance === instance.id, 'the refusal');
    await logs.waitFor((e) => e.event === 'report.cleared' && e.instance === instance.id, 'the failure report');
    // The report's own update event is handled, and refused again without a second write.
    await logs.waitFor((e) => e.event === 'deploy.refused' && e.instance === instance.id && logs.of('deploy.refused', instance.id).length >= 2, 'the echo');
    await agent.settled();
    const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(record.deployed_at).toBeNull();
    expect(deploymentOf(record)).toEqual({ orchestrator: 'exec', error: refused.reason, failed_at: expect.any(String) });
    expect(String(refused.reason)).toContain('"NOT A NAME"');
    expect(logs.of('report.cleared', instance.id)).toHaveLength(1);
    expect(orchestrator.deploys.get(instance.id)).toBeUndefined();
  });
});
