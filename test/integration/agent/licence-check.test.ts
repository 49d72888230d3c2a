/**
 * Licence-aware deploys against a real `hsp serve` (PGlite, or PostgreSQL with
 * HSP_TEST_DATABASE_URL): the agent does not deploy a product its platform's owner holds no
 * entitlement for, says why on the instance, and deploys once the owner redeems a voucher (no
 * event tells it: its retry finds out). A marketplace without the authorization route (the
 * reference server, an older hsp) checks no licences: the agent deploys, and says so once; so
 * does an agent whose operator turned the checks off.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { CHECKS_OFF } from '../../../src/agent/licence-check.js';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';
import { Marketplace, type Instance, type Platform } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, startAgent } from './harness.js';
import { RecordingOrchestrator } from './recording-orchestrator.js';
import { withoutRoute } from '../../helpers/missing-route-proxy.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const running: Agent[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop(1_000);
});

let owner: TestUser;
beforeAll(async () => {
  owner = await m.user('Lena Licensee');
});

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${randomUUID().slice(0, 8)}` });
}

/** A published product with a deployable build, offered under an indefinite licence. */
async function licensedProduct() {
  const { productId, buildId } = await deployableBuild(m, { name: `Licensed app ${randomUUID().slice(0, 8)}` });
  const license = await m.admin.licenses.create({ name: `Site licence ${randomUUID().slice(0, 8)}`, url: `https://example.com/licences/${randomUUID()}`, expiry: 'indefinite' });
  const productLicense = await m.admin.productLicenses.create(productId, { license_id: license.id });
  return { productId, buildId, productLicenseId: productLicense.id };
}

function retrieve(platform: Platform, id: string): Promise<Instance> {
  return owner.client.instances.retrieve(owner.id, platform.id, id);
}

describe('licence-aware deploys', { timeout: 60_000 }, () => {
  it('refuses an unlicensed product with the reason on the instance, retries, and deploys once a voucher is redeemed', async () => {
    const { productId, buildId, productLicenseId } = await licensedProduct();
    const platform = await newPlatform('licensed');
    const started = await startAgent(owner, platform, new DryRunOrchestrator(() => {}));
    running.push(started.agent);
    const { logs, orchestrator } = started;
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });

    const refused = await logs.waitFor((e) => e.event === 'deploy.unlicensed' && e.instance === instance.id, 'the refusal');
    const reason = String(refused.reason);
    expect(reason).toMatch(new RegExp(`^Instance ${instance.id}: the platform's owner may not use product ${productId}: no entitlement of user "Lena Licensee".*\\.$`));
    expect(reason).not.toContain('\n');
    await logs.waitFor((e) => e.event === 'report.cleared' && e.instance === instance.id, 'the failure report');
    const record = await retrieve(platform, instance.id);
    expect(record.deployed_at).toBeNull();
    expect(record.launch_bindings.deployment).toMatchObject({ orchestrator: 'dry-run', error: reason, failed_at: expect.any(String) });
    expect(orchestrator.deploys.get(instance.id)).toBeUndefined();

    // No event says a licence was granted: the agent asks again, with its backoff.
    const second = logs.length;
    await logs.waitFor((e) => e.event === 'deploy.unlicensed' && e.instance === instance.id, 'a retry', second);
    expect(orchestrator.deploys.get(instance.id)).toBeUndefined();

    // The publisher hands the platform's owner a voucher code; the owner redeems it (the
    // marketplace's redemption operation), which gives them an entitlement.
    const code = `WELCOME-${randomUUID().slice(0, 8)}`;
    await m.admin.vouchers.create({ product_license_id: productLicenseId, code });
    const { entitlement } = await owner.client.vouchers.redeem(code);
    expect(entitlement).toMatchObject({ user_id: owner.id, product_license_id: productLicenseId });

    const deployed = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy after the redemption', 0, 20_000);
    expect(logs.of('licence.granted', instance.id)).toHaveLength(1);
    expect(logs.of('licence.granted', instance.id)[0]).toMatchObject({ product: productId, entitlement: entitlement.id });
    await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === instance.id, 'the echo of the report', logs.entries.indexOf(deployed));
    await started.agent.settled();
    const after = await retrieve(platform, instance.id);
    expect(after.deployed_at).not.toBeNull();
    expect(after.launch_bindings.deployment).not.toHaveProperty('error');
    expect(orchestrator.deploys.get(instance.id)).toBe(1);

    // Every question was an Attempt on the marketplace, the last one granted.
    const attempts = (await m.admin.attempts.list({ product_id: productId }).toArray()).filter((a) => a.product_id === productId && a.claimant_id === owner.id);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.filter((a) => a.claim_id !== null)).toHaveLength(1);

    // Running unchanged, it is not asked about again (a yes spends a use of a counted licence).
    const asked = attempts.length;
    // Counted from before the edit: its event may be handled before the edit's answer arrives.
    const beforeEdit = logs.length;
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { ...after.launch_bindings, note: 'an edit the agent does not read' } });
    await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === instance.id, 'the unchanged instance', beforeEdit);
    await started.agent.settled();
    const later = (await m.admin.attempts.list({ product_id: productId }).toArray()).filter((a) => a.product_id === productId && a.claimant_id === owner.id);
    expect(later).toHaveLength(asked);
  });

  it('deploys a product without a licence, which needs none', async () => {
    const { buildId } = await deployableBuild(m);
    const platform = await newPlatform('free');
    const started = await startAgent(owner, platform, new DryRunOrchestrator(() => {}));
    running.push(started.agent);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });
    await started.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    expect(started.logs.of('deploy.unlicensed')).toEqual([]);
    expect(started.logs.of('licence.granted', instance.id)).toHaveLength(1);
  });

  it('with the checks turned off, says so once at start and deploys a licensed product without asking', async () => {
    const { productId, buildId } = await licensedProduct();
    const platform = await newPlatform('unchecked');
    const started = await startAgent(owner, platform, new DryRunOrchestrator(() => {}), { licenceCheck: false });
    running.push(started.agent);
    const { logs } = started;
    const announced = logs.of('licence.unchecked');
    expect(announced).toEqual([expect.objectContaining({ level: 'warn', reason: CHECKS_OFF })]);
    expect(logs.entries.indexOf(announced[0]!)).toBe(logs.entries.findIndex((e) => e.event === 'agent.started') + 1);

    const instances = await Promise.all([1, 2].map(() => owner.client.instances.create(owner.id, platform.id, { build_id: buildId })));
    for (const instance of instances) await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, `the deploy of ${instance.id}`);
    expect(logs.of('licence.unchecked')).toHaveLength(1);
    expect(logs.of('deploy.unlicensed')).toEqual([]);
    expect(logs.of('licence.granted')).toEqual([]);
    // Not asked: the marketplace recorded no attempt for the product.
    expect((await m.admin.attempts.list({ product_id: productId }).toArray()).filter((a) => a.product_id === productId)).toEqual([]);
    expect((await retrieve(platform, instances[0]!.id)).deployed_at).not.toBeNull();
  });

  describe('a marketplace without the authorization route', () => {
    let proxy: Server;
    let proxyUrl: string;
    beforeAll(async () => {
      proxy = await withoutRoute(m.url, '/authorizations');
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it('deploys without licence checks, and says so once', async () => {
      const { buildId } = await licensedProduct();
      const platform = await newPlatform('no-route');
      const client = new Marketplace({ baseUrl: proxyUrl, token: owner.token, dialect: 'r2', maxRetries: 0 });
      // The events come from the real server: the stand-in forwards plain HTTP only.
      const recording = new RecordingOrchestrator();
      const started = await startAgent({ client }, platform, recording, { eventsClient: owner.client });
      running.push(started.agent);
      const instances = await Promise.all([1, 2].map(() => owner.client.instances.create(owner.id, platform.id, { build_id: buildId })));
      for (const instance of instances) await started.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, `the deploy of ${instance.id}`);
      expect(started.logs.of('licence.unchecked')).toEqual([
        expect.objectContaining({ reason: 'The marketplace has no authorization endpoint, so the agent deploys without licence checks.' }),
      ]);
      expect(started.logs.of('deploy.unlicensed')).toEqual([]);
      // The tasks are told where their marketplace is: the one the agent uses.
      expect(recording.environmentOf(instances[0]!.id, 'web')).toMatchObject({ HSP_MARKETPLACE_URL: proxyUrl, HSP_INSTANCE_ID: instances[0]!.id, HSP_CLAIMANT_ID: owner.id });
      expect((await retrieve(platform, instances[0]!.id)).deployed_at).not.toBeNull();
    });
  });
});
