/**
 * The marketplace restarts under a running agent. ActionCable replays nothing, so what changed
 * while the socket was down reaches the agent only through the reconcile after it subscribes
 * again: every change must land, none twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';
import { createMarketplaceServer, type MarketplaceServer, type MarketplaceServerOptions } from '../../../src/server/index.js';
import { marketplaceHandle, scratchDatabase } from '../../helpers/marketplace.js';
import { deployableBuild, startAgent } from './harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

/** Where the marketplace keeps its data across restarts: a scratch PostgreSQL database, or a PGlite directory. */
async function storage(): Promise<MarketplaceServerOptions> {
  const postgres = process.env.HSP_TEST_DATABASE_URL;
  if (postgres) {
    const { databaseUrl, dropDatabase } = await scratchDatabase(postgres);
    cleanup.push(dropDatabase);
    return { databaseUrl };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'hsp-agent-restart-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  return { dataDir };
}

describe('a marketplace restart under a running agent', () => {
  it('reconciles what changed while it was down: created ones deployed, deleted ones removed, each once', { timeout: 60_000 }, async () => {
    const data = await storage();
    const start = async (port: number) => {
      const server = await createMarketplaceServer({ ...data, port, cable: { pingIntervalMs: 200 } });
      cleanup.push(() => server.close());
      return server;
    };
    let server: MarketplaceServer = await start(0);
    const port = Number(new URL(server.url).port);
    const m = marketplaceHandle(server);
    const owner = await m.user('Rita Restart');
    const { buildId } = await deployableBuild(m);
    const platform = await owner.client.platforms.create(owner.id, { name: 'restarted-host' });

    const { agent, logs, orchestrator } = await startAgent(owner, platform, new DryRunOrchestrator(() => {}));
    cleanup.push(() => agent.stop(1_000));
    const kept = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });
    const doomed = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });
    for (const id of [kept.id, doomed.id]) await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === id, `the deploy of ${id}`);

    const down = logs.length;
    await server.close();
    await logs.waitFor((e) => e.event === 'stream.disconnected', 'the disconnection', down);

    // Changes the agent cannot hear about: made through a server on another port, whose events
    // reach nobody, then gone before the agent's server is back.
    const aside = await start(0);
    const asideClient = marketplaceHandle(aside).client(owner.token);
    const created = await Promise.all([1, 2, 3].map(() => asideClient.instances.create(owner.id, platform.id, { build_id: buildId })));
    await asideClient.instances.delete(owner.id, platform.id, doomed.id);
    await aside.close();

    const back = logs.length;
    server = await start(port);
    await logs.waitFor((e) => e.event === 'stream.subscribed', 'the new subscription', back);
    await logs.waitFor((e) => e.event === 'reconcile.done', 'the reconcile after it', back);
    await agent.settled();

    for (const instance of created) expect(orchestrator.deploys.get(instance.id), `deploys of ${instance.id}`).toBe(1);
    expect(orchestrator.deploys.get(kept.id)).toBe(1);
    expect(orchestrator.deploys.get(doomed.id)).toBe(1);
    expect(orchestrator.removes.get(doomed.id)).toBe(1);
    expect(orchestrator.totalDeploys).toBe(5);
    const client = marketplaceHandle(server).client(owner.token);
    const records = await client.instances.list(owner.id, platform.id).toArray();
    expect(records.map((r) => r.id).sort()).toEqual([kept.id, ...created.map((c) => c.id)].sort());
    for (const record of records) expect(record.deployed_at, `deployed_at of ${record.id}`).not.toBeNull();
  });
});
