/**
 * Autowiring end to end against a real `hsp serve` (PGlite, or PostgreSQL with
 * HSP_TEST_DATABASE_URL): an app whose build depends on "FHIR R4", which a FHIR-server product
 * exposes with a parameter. Deployed in either order, the app gets the server's address and
 * parameter through its mappings; with the server gone it is blocked (stopped, the reason on
 * the record); with a server back it is deployed again.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import type { Instance, Platform } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { startAgent, type RunningAgent } from './harness.js';
import { RecordingOrchestrator } from './recording-orchestrator.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const running: Agent[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop(1_000);
});

let owner: TestUser;
let fhir: { id: string; name: string };
let fhirServerBuild: string;
let appBuild: string;

/** A published product with one build: one task, as given. */
async function product(name: string, task: Record<string, unknown>) {
  const created = await m.admin.products.create({ name: `${name} ${randomUUID().slice(0, 8)}` });
  await m.admin.products.publish(created.id);
  const build = await m.admin.builds.create(created.id, { version: '1.0.0', container_repository: `example/${name.toLowerCase().replace(/\W+/g, '-')}`, container_tag: '1.0.0' });
  const configuration = await m.admin.configurations.create(created.id, build.id, { name: 'default' });
  await m.admin.tasks.create(created.id, build.id, configuration.id, { name: 'main', minimum: 1, ...task });
  return { productId: created.id, buildId: build.id };
}

beforeAll(async () => {
  owner = await m.user('Wanda Wiring');
  const tag = randomUUID().slice(0, 8);
  const created = await m.admin.interfaces.create({ name: `FHIR R4 ${tag}`, uri: `http://hl7.org/fhir/R4/${tag}`, version: '4.0.1' });
  fhir = { id: created.id, name: created.name };

  const server = await product('FHIR server', { ports: [8080], environment: [{ key: 'FHIR_BASE_PATH', description: 'where the API lives', default: '/fhir' }] });
  const exposure = await m.admin.exposures.create(server.productId, server.buildId, { interface_id: fhir.id });
  await m.admin.parameters.create(server.productId, server.buildId, exposure.id, { name: 'FHIR_BASE_PATH', required: true });
  fhirServerBuild = server.buildId;

  const app = await product('Patient app', { ports: [3000], environment: [{ key: 'FHIR_URL', description: 'the FHIR API', required: true }] });
  await m.admin.dependencies.create(app.productId, app.buildId, { interface_id: fhir.id, required: true, mappings: { FHIR_URL: '{url}{FHIR_BASE_PATH}', FHIR_PATH: 'FHIR_BASE_PATH', FHIR_HOST: 'host' } });
  appBuild = app.buildId;
});

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${randomUUID().slice(0, 8)}` });
}

async function start(platform: Platform): Promise<RunningAgent & { recording: RecordingOrchestrator }> {
  const recording = new RecordingOrchestrator();
  const started = await startAgent(owner, platform, recording);
  running.push(started.agent);
  return { ...started, recording };
}

function create(platform: Platform, buildId: string, environment: Record<string, string> = {}): Promise<Instance> {
  return owner.client.instances.create(owner.id, platform.id, { build_id: buildId, launch_bindings: { environment } });
}

function retrieve(platform: Platform, id: string): Promise<Instance> {
  return owner.client.instances.retrieve(owner.id, platform.id, id);
}

/** The sentence the app's record carries while no FHIR server runs. */
const blocked = (appId: string) => `Instance ${appId}: it needs interface ${JSON.stringify(fhir.name)} (required), and no deployed instance on this platform exposes it.`;

describe('two products wired on one platform', { timeout: 60_000 }, () => {
  it('app first: blocked with the reason, deployed with the server\u2019s address once the server is; blocked and stopped when it goes, deployed when one is back', async () => {
    const platform = await newPlatform('app-first');
    const { logs, recording, orchestrator, agent } = await start(platform);

    const app = await create(platform, appBuild);
    const refusal = await logs.waitFor((e) => e.event === 'deploy.blocked' && e.instance === app.id, 'the app blocked');
    expect(refusal.reason).toBe(blocked(app.id));
    await logs.waitFor((e) => e.event === 'report.cleared' && e.instance === app.id, 'the reason written');
    const waiting = await retrieve(platform, app.id);
    expect(waiting.deployed_at).toBeNull();
    expect(waiting.launch_bindings.deployment).toMatchObject({ error: blocked(app.id) });
    expect(orchestrator.deploys.get(app.id)).toBeUndefined();

    // The provider's own value of its parameter, from its input.
    const server = await create(platform, fhirServerBuild, { FHIR_BASE_PATH: '/r4' });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === server.id, 'the server deployed');
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === app.id, 'the app following it');
    expect(recording.environmentOf(app.id, 'main')).toMatchObject({ FHIR_URL: 'http://127.0.0.1:8080/r4', FHIR_PATH: '/r4', FHIR_HOST: '127.0.0.1', HSP_INSTANCE_ID: app.id });
    await agent.settled();
    expect((await retrieve(platform, app.id)).deployed_at).not.toBeNull();
    expect(orchestrator.deploys.get(app.id)).toBe(1);

    // Its parameter changes: the app follows with the new value.
    const current = await retrieve(platform, server.id);
    const from = logs.length;
    await owner.client.instances.update(owner.id, platform.id, server.id, { launch_bindings: { ...current.launch_bindings, environment: { FHIR_BASE_PATH: '/fhir/r4' } } });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === app.id, 'the app redeployed', from);
    expect(recording.environmentOf(app.id, 'main')).toMatchObject({ FHIR_URL: 'http://127.0.0.1:8080/fhir/r4', FHIR_PATH: '/fhir/r4' });
    await agent.settled();
    expect(orchestrator.deploys.get(app.id)).toBe(2);

    // The server goes: the app is stopped, and its record says why.
    const gone = logs.length;
    await owner.client.instances.delete(owner.id, platform.id, server.id);
    await logs.waitFor((e) => e.event === 'deploy.blocked' && e.instance === app.id, 'the app blocked again', gone);
    await logs.waitFor((e) => e.event === 'report.cleared' && e.instance === app.id, 'the reason written again', gone);
    expect(orchestrator.removes.get(app.id)).toBe(1);
    const stopped = await retrieve(platform, app.id);
    expect(stopped.deployed_at).toBeNull();
    expect(stopped.launch_bindings.deployment).toMatchObject({ error: blocked(app.id) });

    // Another server appears (its default parameter value this time): the app is deployed again.
    const back = logs.length;
    const another = await create(platform, fhirServerBuild);
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === another.id, 'the new server deployed', back);
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === app.id, 'the app deployed again', back);
    expect(recording.environmentOf(app.id, 'main')).toMatchObject({ FHIR_URL: 'http://127.0.0.1:8080/fhir', FHIR_PATH: '/fhir' });
    await agent.settled();
    const again = await retrieve(platform, app.id);
    expect(again.deployed_at).not.toBeNull();
    expect(again.launch_bindings.deployment).not.toHaveProperty('error');
  });

  it('server first: the app is deployed wired at once, and the reports echoing back redeploy nothing', async () => {
    const platform = await newPlatform('server-first');
    const { logs, recording, orchestrator, agent } = await start(platform);
    const server = await create(platform, fhirServerBuild);
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === server.id, 'the server deployed');
    await agent.settled();

    const app = await create(platform, appBuild);
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === app.id, 'the app deployed');
    await agent.settled();
    expect(logs.of('deploy.blocked')).toEqual([]);
    expect(recording.environmentOf(app.id, 'main')).toMatchObject({ FHIR_URL: 'http://127.0.0.1:8080/fhir', FHIR_PATH: '/fhir', FHIR_HOST: '127.0.0.1' });
    expect(orchestrator.deploys.get(app.id)).toBe(1);
    expect(orchestrator.deploys.get(server.id)).toBe(1);
  });

  it('takes the provider launch_bindings.wiring pins; unpinned, the oldest', async () => {
    const platform = await newPlatform('pinned');
    const { logs, recording, agent } = await start(platform);
    const older = await create(platform, fhirServerBuild, { FHIR_BASE_PATH: '/older' });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === older.id, 'the older server deployed');
    const newer = await create(platform, fhirServerBuild, { FHIR_BASE_PATH: '/newer' });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === newer.id, 'the newer server deployed');
    await agent.settled();

    const app = await owner.client.instances.create(owner.id, platform.id, { build_id: appBuild, launch_bindings: { wiring: { [fhir.id]: newer.id } } });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === app.id, 'the app deployed');
    expect(recording.environmentOf(app.id, 'main')).toMatchObject({ FHIR_PATH: '/newer' });

    // Unpinned, the oldest wins.
    await agent.settled();
    const from = logs.length;
    const record = await retrieve(platform, app.id);
    await owner.client.instances.update(owner.id, platform.id, app.id, { launch_bindings: { ...record.launch_bindings, wiring: {} } });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === app.id, 'the app rewired', from);
    expect(recording.environmentOf(app.id, 'main')).toMatchObject({ FHIR_PATH: '/older' });
  });
});
