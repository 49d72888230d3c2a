/**
 * What a deploy costs the marketplace, counted at a loopback proxy in front of a real `hsp
 * serve` (the event stream goes straight to the server): a burst of creates of one build reads
 * the build's parts once and asks about its unlimited licence once; each instance is deployed
 * from its created event and written once (its report); and the echo of that report,
 * recognised from the event alone, costs no read at all.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';
import { Marketplace } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, startAgent, type Catalogue } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const running: Agent[] = [];
let owner: TestUser;
let catalogue: Catalogue;
let proxy: Server;
let proxied: Marketplace;
/** Every request the agent made over REST, in the order answered: "METHOD /path". */
const seen: string[] = [];

beforeAll(async () => {
  owner = await m.user('Rita Requests');
  catalogue = await deployableBuild(m);
  const target = new URL(m.url);
  proxy = createServer((req, res) => {
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => seen.push(`${req.method} ${req.url?.replace(/\?.*$/, '')}`));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxied = new Marketplace({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: owner.token, dialect: 'r2', maxRetries: 0 });
});
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop(1_000);
});
afterAll(async () => {
  await proxied.close();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

const count = (pattern: RegExp) => seen.filter((line) => pattern.test(line)).length;

describe('requests per deploy', { timeout: 60_000 }, () => {
  it('reads the build and asks about its licence once for a burst, writes each report once, and reads nothing for the echoes', async () => {
    const platform = await owner.client.platforms.create(owner.id, { name: `requests-${Math.random().toString(36).slice(2, 8)}` });
    const { agent, logs, orchestrator } = await startAgent({ client: proxied }, platform, new DryRunOrchestrator(() => {}), { eventsClient: owner.client });
    running.push(agent);
    seen.length = 0;

    const instances = await Promise.all(Array.from({ length: 10 }, () => owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId })));
    for (const instance of instances) {
      await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === instance.id, `the echo of ${instance.id}`);
    }
    await agent.settled();

    expect(instances.every((instance) => orchestrator.deploys.get(instance.id) === 1)).toBe(true);
    const build = `/products/${catalogue.productId}/builds/${catalogue.buildId}`;
    // One read of the build's parts serves the burst (a second only if it took over 2 s).
    expect(count(new RegExp(`^GET ${build}$`))).toBeGreaterThanOrEqual(1);
    expect(count(new RegExp(`^GET ${build}$`))).toBeLessThanOrEqual(2);
    // The product has no licence: an unlimited yes, reused for the burst.
    expect(count(new RegExp(`^PUT /authorizations/users/${owner.id}/products/${catalogue.productId}$`))).toBe(1);
    for (const instance of instances) {
      const path = `/users/${owner.id}/platforms/${platform.id}/instances/${instance.id}`;
      const mine = seen.filter((line) => line.endsWith(path));
      expect(mine.filter((line) => line.startsWith('PATCH '))).toHaveLength(1);
      // Deployed from the created event, which carries the whole record: not read before the
      // deploy, and read before the report only if the report comes more than REPORT_FRESH_MS
      // after the event (a slow machine); never after the report: its echo is recognised from
      // the event.
      expect(mine.at(-1)).toBe(`PATCH ${path}`);
      expect(mine.filter((line) => line.startsWith('GET ')).length).toBeLessThanOrEqual(1);
    }
  });
});
