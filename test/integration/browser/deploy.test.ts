/**
 * Point-and-click deployment in a real Chromium, against hsp serve and a real
 * `hsp agent listen --orchestrator dry-run` for the administrator's platform: "Deploy to…" on a
 * product's page creates the instance, and the platform's page follows the agent's reports over
 * the WebSocket (deploying, running, failed, removed) without a reload. Platforms are created,
 * renamed and deleted on their own page.
 */
import type { Page, WebSocketRoute } from 'playwright-core';
import { expect, it } from 'vitest';
import { NotFoundError, type Marketplace } from '../../../src/index.js';
import { expectAccessible, onBrowser, pageProblems, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser({ agent: true });

const WAIT = { timeout: 30_000 };
/** Per test: seconds on a quiet machine, but a browser, a server and an agent share a busy one in CI. */
const TEST_TIMEOUT = 90_000;

interface Deployable {
  productId: string;
  name: string;
  buildId: string;
  olderBuildId: string;
}

/**
 * A published product of the administrator's with two builds; the newer one's default
 * configuration runs a task on port 8080 that needs FHIR_BASE_URL (no default) and has
 * LOG_LEVEL (default "info").
 */
async function deployable(client: Marketplace, userId: string, name: string): Promise<Deployable> {
  const past = new Date(Date.now() - 60_000).toISOString();
  const product = await client.products.create({ name, description: 'Scores deteriorating patients.', mime_type: 'application/vnd.docker+smart', user_id: userId, published_at: past, visible_at: past });
  const older = await client.builds.create(product.id, { version: '1.0.0', container_repository: 'example/early-warning', container_tag: '1.0.0' });
  // Newest first in the dialog: created a moment later.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const build = await client.builds.create(product.id, { version: '1.1.0', container_repository: 'example/early-warning', container_tag: '1.1.0' });
  const configuration = await client.configurations.create(product.id, build.id, { name: 'default' });
  await client.tasks.create(product.id, build.id, configuration.id, {
    name: 'web',
    minimum: 1,
    maximum: 1,
    memory: 256,
    ports: [8080],
    environment: [
      { key: 'FHIR_BASE_URL', description: 'The FHIR server to read patients from', required: true },
      { key: 'LOG_LEVEL', description: 'How much to log', default: 'info' },
    ],
  });
  return { productId: product.id, name, buildId: build.id, olderBuildId: older.id };
}

/** The live region of the instance card named after the product. */
function stateOf(page: Page, productName: string) {
  return page.getByRole('article', { name: productName }).getByRole('status');
}

/** Marks the document, so a later check can tell that no reload happened in between. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { hspNoReload?: boolean }).hspNoReload = true));
}

async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { hspNoReload?: boolean }).hspNoReload === true);
}

onBrowser.describe('point-and-click deployment', () => {
  it('deploys a product from its page, watches it turn from deploying to running live, redeploys and undeploys it', async () => {
    const { admin, agent } = ui.marketplace;
    const platformId = agent!.platformId;
    const product = await deployable(admin.client, admin.id, 'Early Warning Score');
    const page = await ui.page({ token: admin.token });

    await page.goto(`products/${product.productId}`);
    await page.getByRole('button', { name: 'Deploy to…' }).click();
    const dialog = page.getByRole('dialog', { name: `Deploy ${product.name}` });
    await dialog.getByLabel('Platform').selectOption({ label: 'ward-3-server' });
    // The newest build is chosen first; its variables are the fields.
    expect(await dialog.getByLabel('Build').inputValue()).toBe(product.buildId);
    await dialog.getByLabel('FHIR_BASE_URL').waitFor();
    await expectAccessible(page, 'the deploy dialog');

    // A required value left empty is told beside its field, and nothing is created.
    await dialog.getByRole('button', { name: 'Deploy' }).click();
    await dialog.getByText('FHIR_BASE_URL is required: the build has no default for it.').waitFor();
    expect(await dialog.getByLabel('FHIR_BASE_URL').getAttribute('aria-invalid')).toBe('true');
    expect((await admin.client.instances.list(admin.id, platformId)).items.filter((i) => i.build_id === product.buildId)).toEqual([]);

    // The agent is held still (SIGSTOP) so the moment before its report can be seen; it carries on afterwards.
    agent!.process.child.kill('SIGSTOP');
    let held = true;
    try {
      await dialog.getByLabel('FHIR_BASE_URL').fill('http://fhir.example.org/r4');
      await dialog.getByRole('button', { name: 'Deploy' }).click();
      await page.waitForURL(`**/ui/platforms/${platformId}`, WAIT);
      await stateOf(page, product.name).filter({ hasText: 'Deploying…' }).waitFor(WAIT);
      await page.getByText('Live', { exact: true }).waitFor(WAIT);
      await markDocument(page);
      await expectAccessible(page, 'the platform page with an instance deploying');
      agent!.process.child.kill('SIGCONT');
      held = false;
    } finally {
      if (held) agent!.process.child.kill('SIGCONT');
    }

    // The agent's report arrives over the WebSocket: running, with the endpoint it reported.
    await stateOf(page, product.name).filter({ hasText: /^Running since \d/ }).waitFor(WAIT);
    const card = page.getByRole('article', { name: product.name });
    await card.getByText('http://127.0.0.1:8080').waitFor();
    expect(await card.textContent()).toContain('Build 1.1.0');
    expect(await stillSameDocument(page)).toBe(true);

    const [instance] = (await admin.client.instances.list(admin.id, platformId)).items.filter((i) => i.build_id === product.buildId);
    expect(instance?.launch_bindings.environment).toEqual({ FHIR_BASE_URL: 'http://fhir.example.org/r4' });
    expect(instance?.deployed_at).not.toBeNull();
    expect(instance?.launch_bindings.deployment).toMatchObject({ orchestrator: 'dry-run' });

    // Redeploy: the agent deploys and reports again, later than before.
    const firstDeploy = Date.parse(instance!.deployed_at!);
    await card.getByRole('button', { name: 'Redeploy' }).click();
    await expect
      .poll(async () => Date.parse((await admin.client.instances.retrieve(admin.id, platformId, instance!.id)).deployed_at ?? '') || 0, WAIT)
      .toBeGreaterThan(firstDeploy);
    await stateOf(page, product.name).filter({ hasText: /^Running since \d/ }).waitFor(WAIT);

    // Undeploy, confirmed: the instance is gone from the marketplace and the agent removes it.
    await card.getByRole('button', { name: 'Undeploy' }).click();
    const confirm = page.getByRole('dialog', { name: `Undeploy ${product.name}?` });
    await expectAccessible(page, 'the undeploy confirmation');
    await confirm.getByRole('button', { name: 'Undeploy' }).click();
    await card.waitFor({ state: 'detached', ...WAIT });
    await page.getByText(`Stopped: ${product.name} was removed from ward-3-server.`).waitFor({ state: 'attached' });
    await expect(admin.client.instances.retrieve(admin.id, platformId, instance!.id)).rejects.toBeInstanceOf(NotFoundError);
    await agent!.process.logs.waitFor((entry) => entry.event === 'dry_run.remove' && entry.instance_id === instance!.id, 'the agent removing the instance');
    expect(pageProblems(page)).toEqual([]);
  }, TEST_TIMEOUT);

  it("shows the agent's reason for a failed deploy, fixes it in Settings, and follows changes made elsewhere", async () => {
    const { admin, agent } = ui.marketplace;
    const platformId = agent!.platformId;
    const product = await deployable(admin.client, admin.id, 'Sepsis Watch');
    // Made without the UI's checks: the agent refuses it for the missing value, and says so on the record.
    const instance = await admin.client.instances.create(admin.id, platformId, { build_id: product.buildId, launch_bindings: { environment: { LOG_LEVEL: 'debug' } } });
    const page = await ui.page({ token: admin.token });
    await page.goto(`platforms/${platformId}`);

    const state = stateOf(page, product.name);
    await state.filter({ hasText: 'Failed: Task "web" environment FHIR_BASE_URL is required' }).waitFor(WAIT);
    await markDocument(page);
    await expectAccessible(page, 'the platform page with a failed instance');

    const card = page.getByRole('article', { name: product.name });
    await card.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: `Settings of ${product.name}` });
    // The current values are there to change.
    expect(await settings.getByLabel('LOG_LEVEL').inputValue()).toBe('debug');
    await expectAccessible(page, 'the settings dialog');
    await settings.getByLabel('Other variables').fill('lower_case=1');
    await settings.getByLabel('FHIR_BASE_URL').fill('http://fhir.example.org/r4');
    await settings.getByRole('button', { name: 'Save and redeploy' }).click();
    await settings.getByText('Line 1 of Other variables: lower_case is not a variable name (capital letters, digits and _ only).').waitFor();
    await settings.getByLabel('Other variables').fill('COLLECTOR_URL=http://otel:4318');
    await settings.getByRole('button', { name: 'Save and redeploy' }).click();

    await state.filter({ hasText: /^Running since \d/ }).waitFor(WAIT);
    expect(await stillSameDocument(page)).toBe(true);
    const saved = await admin.client.instances.retrieve(admin.id, platformId, instance.id);
    expect(saved.launch_bindings.environment).toEqual({ FHIR_BASE_URL: 'http://fhir.example.org/r4', LOG_LEVEL: 'debug', COLLECTOR_URL: 'http://otel:4318' });
    expect(saved.deployed_at).not.toBeNull();

    // Someone else deploys and undeploys on this platform: the page follows without a reload.
    const other = await admin.client.instances.create(admin.id, platformId, { build_id: product.olderBuildId });
    const cards = page.getByRole('article', { name: product.name });
    await expect.poll(() => cards.count(), WAIT).toBe(2);
    await page.getByText('Build 1.0.0').waitFor(WAIT);
    await admin.client.instances.delete(admin.id, platformId, other.id);
    await admin.client.instances.delete(admin.id, platformId, instance.id);
    await expect.poll(() => cards.count(), WAIT).toBe(0);
    await page.getByText('Nothing is deployed on this platform yet.').waitFor(WAIT);
    expect(await stillSameDocument(page)).toBe(true);
    expect(pageProblems(page)).toEqual([]);
  }, TEST_TIMEOUT);

  it('says when the event stream drops, and catches up on what happened meanwhile once it is back', async () => {
    const { admin, agent } = ui.marketplace;
    const platformId = agent!.platformId;
    const page = await ui.page({ token: admin.token });
    // The page's WebSocket passes through the test, which can drop it and hold the reconnection.
    const sockets: WebSocketRoute[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.routeWebSocket(/\/websocket/, async (socket) => {
      sockets.push(socket);
      if (sockets.length > 1) await held;
      socket.connectToServer();
    });
    await page.goto(`platforms/${platformId}`);
    await page.getByText('Live', { exact: true }).waitFor(WAIT);
    await markDocument(page);

    await sockets[0]!.close({ code: 1006, reason: 'dropped by the test' });
    await page.getByText('Reconnecting…', { exact: true }).waitFor(WAIT);
    await expectAccessible(page, 'the platform page while reconnecting');
    // Deployed while the page hears nothing: no event reaches it.
    const product = await deployable(admin.client, admin.id, 'Fall Risk');
    const instance = await admin.client.instances.create(admin.id, platformId, { build_id: product.buildId, launch_bindings: { environment: { FHIR_BASE_URL: 'http://fhir.example.org/r4' } } });
    await expect.poll(async () => (await admin.client.instances.retrieve(admin.id, platformId, instance.id)).deployed_at, WAIT).not.toBeNull();
    expect(await page.getByRole('article', { name: product.name }).count()).toBe(0);

    release();
    await page.getByText('Live', { exact: true }).waitFor(WAIT);
    await stateOf(page, product.name).filter({ hasText: /^Running since \d/ }).waitFor(WAIT);
    expect(sockets.length).toBe(2);
    expect(await stillSameDocument(page)).toBe(true);
    await admin.client.instances.delete(admin.id, platformId, instance.id);
    await page.getByRole('article', { name: product.name }).waitFor({ state: 'detached', ...WAIT });
  }, TEST_TIMEOUT);

  it('creates, renames and deletes a platform, and tells a new one how to run its agent', async () => {
    const user = await ui.marketplace.user('olive');
    const page = await ui.page({ token: user.token });
    await page.goto('platforms');
    await page.getByText('You have no platforms yet.').waitFor(WAIT);
    await expectAccessible(page, 'the empty platforms page');

    await page.getByRole('button', { name: 'New platform' }).click();
    const create = page.getByRole('dialog', { name: 'New platform' });
    await create.getByRole('button', { name: 'Create' }).click();
    await create.getByText('Name is required.').waitFor();
    await create.getByLabel('Name').fill('theatre-4');
    await create.getByRole('button', { name: 'Create' }).click();

    // The new platform's page: nothing deployed yet, and the commands for its agent.
    await page.getByRole('heading', { level: 1, name: 'theatre-4' }).waitFor(WAIT);
    await page.getByText('hsp agent listen --platform theatre-4').waitFor();
    await expectAccessible(page, 'a new platform page');
    const [created] = (await user.client.platforms.list(user.id)).items;
    expect(created?.name).toBe('theatre-4');

    await page.getByRole('link', { name: 'Your platforms' }).click();
    await page.getByRole('link', { name: 'theatre-4' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Rename theatre-4' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename platform' });
    expect(await rename.getByLabel('Name').inputValue()).toBe('theatre-4');
    await rename.getByLabel('Name').fill('theatre-5');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('link', { name: 'theatre-5' }).waitFor(WAIT);
    expect((await user.client.platforms.retrieve(user.id, created!.id)).name).toBe('theatre-5');

    // A name already taken: the API's sentence, and the dialog stays open.
    await user.client.platforms.create(user.id, { name: 'theatre-6' });
    await page.getByRole('button', { name: 'Rename theatre-5' }).click();
    await rename.getByLabel('Name').fill('theatre-6');
    await rename.getByRole('button', { name: 'Rename' }).click();
    const refusal = await rename.getByRole('alert').textContent();
    expect(refusal).toMatch(/name/i);
    expect(refusal).not.toMatch(/undefined|\[object/);
    await rename.getByRole('button', { name: 'Cancel' }).click();

    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('button', { name: 'Delete theatre-5' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete theatre-5?' });
    await confirm.getByRole('button', { name: 'Delete platform' }).click();
    await page.getByRole('link', { name: 'theatre-5' }).waitFor({ state: 'detached', ...WAIT });
    await expect(user.client.platforms.retrieve(user.id, created!.id)).rejects.toBeInstanceOf(NotFoundError);
    // A phone-sized screen: nothing wider than the page.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page, 'the platforms page on a phone');
    // The refused rename is the only failed request the browser saw.
    const problems = pageProblems(page);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('the server responded with a status of 422');
  }, TEST_TIMEOUT);
});
