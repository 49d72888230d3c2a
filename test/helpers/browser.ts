/**
 * The Marketplace UI in a real headless Chromium: Debian's `chromium` (or HSP_CHROMIUM) driven
 * by playwright-core, which never downloads a browser. A test file opens one browser and one
 * marketplace (`hsp serve` in-process, on PGlite or on a scratch PostgreSQL database like
 * every integration test), and one browser context per test, so no test sees another's
 * session storage.
 *
 *   const ui = useUiBrowser({ products: 12 });
 *   it('…', async () => {
 *     const page = await ui.page({ token: ui.marketplace.admin.token });
 *     await page.goto(ui.marketplace.uiUrl);
 *     await expectAccessible(page, 'the catalogue');
 *   });
 *
 * Or piece by piece with `openBrowser`, `startUiMarketplace` and `newPage` (then the file
 * closes what it opened).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Marketplace } from '../../src/index.js';
import { createMarketplaceServer, type MarketplaceServer, type MarketplaceServerOptions } from '../../src/server/index.js';
import { spawnAgent, type AgentProcess } from '../integration/agent/harness.js';
import { repoRoot } from './hsp-process.js';
import { marketplaceHandle, scratchDatabase } from './marketplace.js';
import { onlyIf, type Precondition } from './skips.js';
import { startTestProvider, type TestProvider } from './test-provider.js';

/** The browser: Debian's package by default, anything Chromium-based with HSP_CHROMIUM. */
export const chromiumPath = process.env.HSP_CHROMIUM || '/usr/bin/chromium';

/**
 * Why the browser tests skip here, or `false` when they run. With HSP_REQUIRE_BROWSER=1 (CI)
 * they always run, so a missing browser fails them instead of hiding them.
 */
export const browserSkip: string | false =
  process.env.HSP_REQUIRE_BROWSER === '1' || existsSync(chromiumPath)
    ? false
    : `needs Chromium at ${chromiumPath}: install Debian's chromium package or set HSP_CHROMIUM to a Chromium executable`;

/** `onBrowser.describe(…)` / `onBrowser.it(…)`: browser tests, skipped with the reason above. */
export const onBrowser = onlyIf(!browserSkip, browserSkip || 'needs Chromium');

/**
 * Browser tests whose subject does not depend on the database (the harness itself, the sweep of
 * every page for accessibility and layout) run once, in the PGlite project: on PostgreSQL they
 * would only repeat the same pages at the cost of CI time. The flows run on both.
 */
export const onBrowserOnce = onlyIf(
  !browserSkip && !process.env.HSP_TEST_DATABASE_URL,
  browserSkip || 'runs once, on PGlite: what it checks does not depend on the database',
);

/** A headless Chromium (no sandbox: CI and containers run as root, where Chromium's sandbox cannot start). */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: install Debian's chromium package (.ci/run does) or set HSP_CHROMIUM to a Chromium executable.`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
}

export type UiRole = 'Standard' | 'Publisher' | 'Administrator';

export interface UiUser {
  id: string;
  token: string;
  client: Marketplace;
}

export interface UiMarketplace {
  /** The marketplace, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Where hsp serve serves the UI: http://127.0.0.1:PORT/ui/ */
  uiUrl: string;
  admin: { id: string; token: string; client: Marketplace };
  /** A new user with the role's permissions and a marketplace token of their own. */
  user(name: string, role?: UiRole): Promise<UiUser>;
  /** The SDK without a token, as a visitor. */
  anonymous: Marketplace;
  /** The SDK with any token (e.g. one a browser sign-in returned). */
  client(token?: string): Marketplace;
  /** The server itself, for what the SDK cannot reach (its database, its context). */
  server: MarketplaceServer;
  close(): Promise<void>;
}

export interface UiMarketplaceOptions {
  /** A real OpenID Provider, registered (and enabled) as the marketplace's identity provider. */
  oidc?: boolean;
  /** `hsp agent listen --orchestrator dry-run` for a platform the administrator owns. */
  agent?: boolean;
  /** Published products to seed, varied in name, description, MIME type, licence and interface. */
  products?: number;
  /** Passed on to the server (e.g. `cable: { pingIntervalMs: 200 }`). */
  server?: MarketplaceServerOptions;
}

export interface StartedUiMarketplace extends UiMarketplace {
  /**
   * The provider's sign-in: the test provider answers its login and consent pages at once for
   * the account `login` (no form to fill: `password` is only there for a provider that asks).
   */
  oidc?: { providerId: string; providerName: string; login: string; password: string; provider: TestProvider };
  agent?: { platformId: string; process: AgentProcess };
  /** The seeded products, in creation order. */
  products: SeededProduct[];
}

export interface SeededProduct {
  id: string;
  name: string;
  mime_type: string;
  license: string;
  /** The interface its build exposes, for the products that have one. */
  interface?: string;
}

/**
 * Role `Publisher` does not exist in a new marketplace (its template roles are Administrator,
 * Editor and Standard): a publisher here may create, edit and publish products.
 */
const PUBLISHER_PERMISSIONS = { products: { create: true, read: true, update: true, delete: true, publish: true } };

/** Starts `hsp serve` in-process with the UI on, on a free loopback port, and seeds it. */
export async function startUiMarketplace(options: UiMarketplaceOptions = {}): Promise<StartedUiMarketplace> {
  const undo: (() => Promise<unknown>)[] = [];
  const close = async () => {
    // Last opened, first closed; one failure does not keep the rest open.
    const errors: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((error: unknown) => errors.push(error));
    if (errors.length) throw errors[0];
  };
  try {
    const base = process.env.HSP_TEST_DATABASE_URL;
    let databaseUrl = options.server?.databaseUrl;
    if (base && !databaseUrl && !options.server?.dataDir) {
      const scratch = await scratchDatabase(base);
      databaseUrl = scratch.databaseUrl;
      undo.push(scratch.dropDatabase);
    }
    const server = await createMarketplaceServer({ port: 0, ...options.server, databaseUrl, onInternalError: (e) => console.error(e) });
    undo.push(() => server.close());
    if ('off' in server.ui) {
      throw new Error(`hsp serve does not serve the UI: ${server.ui.off ?? 'it is turned off'}.`);
    }
    const handle = marketplaceHandle(server);
    const adminToken = server.adminToken!;
    const adminClient = handle.admin;
    const adminId = (await adminClient.session.whoami())!.user.id;

    let publisherRole: Promise<unknown> | undefined;
    const ui: StartedUiMarketplace = {
      url: server.url,
      uiUrl: server.ui.url,
      admin: { id: adminId, token: adminToken, client: adminClient },
      anonymous: handle.anonymous,
      client: handle.client,
      server,
      products: [],
      async user(name, role = 'Standard') {
        if (role === 'Publisher') {
          publisherRole ??= adminClient.roles.create({ name: 'Publisher', description: 'May create, edit and publish products.', permissions: PUBLISHER_PERMISSIONS });
          await publisherRole;
        }
        return handle.user(name, role === 'Standard' ? [] : [role]);
      },
      close,
    };
    // Side by side: each waits mostly on something else (the database, a child process).
    const [products, oidc, agent] = await Promise.allSettled([
      options.products ? seedProducts(server, adminClient, adminId, options.products) : [],
      options.oidc ? registerProvider(server.url, adminClient, undo) : undefined,
      options.agent ? startDryRunAgent(server.url, adminClient, adminId, adminToken, undo) : undefined,
    ]);
    for (const step of [products, oidc, agent]) if (step.status === 'rejected') throw step.reason;
    if (products.status === 'fulfilled') ui.products = products.value;
    if (oidc.status === 'fulfilled') ui.oidc = oidc.value;
    if (agent.status === 'fulfilled') ui.agent = agent.value;
    return ui;
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** What `products` seeds vary over: enough for search, each filter and sorting to mean something. */
const MIME_TYPES = ['application/vnd.docker+smart', 'application/vnd.docker+fhir', 'text/html', 'application/zip'];
const TOPICS = ['Cardiology', 'Oncology', 'Radiology', 'Paediatrics', 'Pharmacy', 'Nursing', 'Dermatology', 'Neurology'];
const KINDS = ['Viewer', 'Dashboard', 'Calculator', 'Scheduler', 'Registry', 'Assistant'];
const INTERFACES = [
  { name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' },
  { name: 'SMART App Launch', uri: 'http://hl7.org/fhir/smart-app-launch', version: '2.1.0' },
];

/**
 * Published products, written in one transaction of a few statements (through the SDK, 200
 * products took ten seconds on a busy machine; this takes a fraction of one): names like
 * "Cardiology Viewer 007", one of four MIME types, one of the marketplace's licences each, and
 * every fourth product a build exposing one of two interfaces (made through the SDK, as a
 * publisher would).
 */
async function seedProducts(server: MarketplaceServer, admin: Marketplace, adminId: string, count: number): Promise<SeededProduct[]> {
  const licenses = (await admin.licenses.list({ perPage: 100 })).items;
  const interfaces = await Promise.all(INTERFACES.map((spec) => admin.interfaces.create(spec)));
  const width = String(count).length;
  const seeded: SeededProduct[] = [];
  const descriptions: string[] = [];
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const kind = KINDS[Math.floor(i / TOPICS.length) % KINDS.length]!;
    seeded.push({
      id: randomUUID(),
      name: `${topic} ${kind} ${String(i + 1).padStart(width, '0')}`,
      mime_type: MIME_TYPES[i % MIME_TYPES.length]!,
      license: licenses[i % licenses.length]!.name,
      interface: i % 4 === 0 ? interfaces[(i / 4) % interfaces.length]!.name : undefined,
    });
    descriptions.push(`A ${kind.toLowerCase()} for ${topic.toLowerCase()} teams: ${i % 2 ? 'runs beside the EHR' : 'works offline on a ward tablet'}.`);
  }
  const exposing = seeded.filter((p) => p.interface);
  const buildIds = exposing.map(() => randomUUID());
  // The server's own database handle, so its cache of anonymous catalogue answers forgets them.
  await server.context.db.transaction(async (tx) => {
    // Published a minute ago ("published" is published_at and visible_at in the past); created
    // a second apart, so "newest first" has one answer.
    await tx.query(
      `INSERT INTO products (id, name, description, mime_type, user_id, published_at, visible_at, created_at, updated_at)
       SELECT id, name, description, mime_type, $5, now() - interval '1 minute', now() - interval '1 minute',
              now() - (n * interval '1 second'), now() - (n * interval '1 second')
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS p(id, name, description, mime_type, n)`,
      [seeded.map((p) => p.id), seeded.map((p) => p.name), descriptions, seeded.map((p) => p.mime_type), adminId],
    );
    await tx.query(
      `INSERT INTO product_licenses (product_id, license_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`,
      [seeded.map((p) => p.id), seeded.map((_, i) => licenses[i % licenses.length]!.id)],
    );
    await tx.query(
      `INSERT INTO builds (id, product_id, version, container_repository, container_tag) SELECT id, product_id, '1.0.0', repository, '1.0.0'
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS b(id, product_id, repository)`,
      [buildIds, exposing.map((p) => p.id), exposing.map((p) => `example/${p.name.split(' ')[0]!.toLowerCase()}`)],
    );
    await tx.query(
      `INSERT INTO exposures (build_id, interface_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`,
      [buildIds, exposing.map((p) => interfaces.find((face) => face.name === p.interface)!.id)],
    );
  });
  return seeded;
}

const OIDC_CLIENT = { client_id: 'marketplace-ui-test', client_secret: 'a-client-secret-for-the-ui-tests' };
const OIDC_ACCOUNT = 'casey';

/** A real OpenID Provider (oidc-provider on loopback), registered and enabled in the marketplace. */
async function registerProvider(url: string, admin: Marketplace, undo: (() => Promise<unknown>)[]): Promise<NonNullable<StartedUiMarketplace['oidc']>> {
  const provider = await startTestProvider({
    clients: [OIDC_CLIENT],
    accounts: { [OIDC_ACCOUNT]: { name: 'Casey Clinician', email: 'casey@example.org', email_verified: true } },
    redirectUris: [`${url}/sessions`],
  });
  undo.push(() => provider.close());
  const providerName = 'Test Identity Provider';
  const registered = await admin.identityProviders.create({ name: providerName, issuer: provider.issuer, ...OIDC_CLIENT, scopes: 'openid,profile,email' });
  return { providerId: registered.id, providerName, login: OIDC_ACCOUNT, password: 'not-asked', provider };
}

/**
 * `hsp agent listen --orchestrator dry-run` (the built bin/hsp in a child process, as operators
 * run it) for a new platform of the administrator's; resolves after its first reconcile.
 */
async function startDryRunAgent(
  url: string,
  admin: Marketplace,
  adminId: string,
  token: string,
  undo: (() => Promise<unknown>)[],
): Promise<NonNullable<StartedUiMarketplace['agent']>> {
  const platform = await admin.platforms.create(adminId, { name: 'ward-3-server' });
  const configDir = await mkdtemp(join(tmpdir(), 'hsp-ui-agent-'));
  undo.push(() => rm(configDir, { recursive: true, force: true }));
  const agent = spawnAgent(['--platform', platform.id, '--orchestrator', 'dry-run'], { HSP_URL: url, HSP_TOKEN: token, HSP_CONFIG_DIR: configDir });
  undo.push(async () => {
    if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
    agent.child.kill('SIGTERM');
    // A drained agent exits within a second; one that does not is not left behind.
    const timer = setTimeout(() => agent.child.kill('SIGKILL'), 5_000);
    await agent.exited;
    clearTimeout(timer);
  });
  await Promise.race([
    agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the agent\'s first reconcile', 0, 30_000),
    agent.exited.then((exit) => {
      throw new Error(`hsp agent listen exited (${exit.code ?? exit.signal}) before its first reconcile: ${exit.stderr.trim() || 'no message'}`);
    }),
  ]);
  return { platformId: platform.id, process: agent };
}

export interface NewPageOptions {
  /** Signed in as the token's user: put in session storage (`hsp.token`) before the UI boots. */
  token?: string;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** What functions run in the page use of it (this project's TypeScript has no DOM library). */
interface BrowserGlobals {
  location: { origin: string };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  document: unknown;
  axe?: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
}

const problems = new WeakMap<Page, string[]>();

/**
 * A page in a context of its own, with the UI's URL as base (`page.goto('products/ID')`).
 * Console errors and uncaught page errors are collected: `pageProblems(page)`.
 */
export async function newPage(browser: Browser, ui: Pick<UiMarketplace, 'uiUrl'>, options: NewPageOptions = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    baseURL: ui.uiUrl,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    // Fixed, so dates and numbers render the same on every machine.
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  if (options.token) {
    await context.addInitScript(
      ({ token, origin }: { token: string; origin: string }) => {
        // Once per tab, before the UI's scripts run: a sign-out in the test (which removes the
        // token) stays signed out through later navigations. Other origins (the identity
        // provider's pages) get nothing.
        const { location, sessionStorage } = globalThis as unknown as BrowserGlobals;
        if (location.origin !== origin) return;
        if (sessionStorage.getItem('hsp.test.token-placed')) return;
        sessionStorage.setItem('hsp.token', token);
        sessionStorage.setItem('hsp.test.token-placed', '1');
      },
      { token: options.token, origin: new URL(ui.uiUrl).origin },
    );
  }
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // "Failed to load resource: …404" says which resource only in its location.
    const { url } = message.location();
    seen.push(`console error: ${message.text()}${url && /^Failed to load resource/.test(message.text()) ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
  return page;
}

/** Console errors and uncaught exceptions the page has had since `newPage`. */
export function pageProblems(page: Page): string[] {
  return [...(problems.get(page) ?? [])];
}

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * axe-core on the page as it is now: fails listing every serious or critical violation (rule,
 * impact, help, the first elements it found). Injected through the debugging protocol, which
 * the page's Content-Security-Policy does not govern, so the policy under test stays on.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const source = await axeSource;
  const loaded = await page.evaluate(() => typeof (globalThis as unknown as BrowserGlobals).axe === 'object');
  if (!loaded) {
    const session = await page.context().newCDPSession(page);
    try {
      const { exceptionDetails } = (await session.send('Runtime.evaluate', { expression: source })) as { exceptionDetails?: { text: string } };
      if (exceptionDetails) throw new Error(`axe-core did not load in the page: ${exceptionDetails.text}`);
    } finally {
      await session.detach();
    }
  }
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as BrowserGlobals;
    const result = await axe!.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = serious.map((v) => {
    const targets = v.nodes.slice(0, 3).map((n) => `    ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.split('\n').slice(1).join(' ').trim()}` : ''}`);
    const more = v.nodes.length > 3 ? [`    … and ${v.nodes.length - 3} more`] : [];
    return [`  ${v.id} (${v.impact}): ${v.help} ${v.helpUrl}`, ...targets, ...more].join('\n');
  });
  expect(report, `axe-core found serious or critical violations on ${label} (${page.url()}):\n${report.join('\n')}`).toEqual([]);
}

export const screenshotsDir = join(repoRoot, 'docs', 'screenshots');

/**
 * docs/screenshots/<name>.png of the viewport, only when HSP_SCREENSHOTS=1 (for README), and
 * only in the PGlite project: the same page on PostgreSQL looks the same, and two projects
 * writing one file at once could leave either.
 */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env.HSP_SCREENSHOTS !== '1' || process.env.HSP_TEST_DATABASE_URL) return;
  await mkdir(screenshotsDir, { recursive: true });
  // Animations finished and the caret hidden: the same page gives the same picture.
  const png = await page.screenshot({ fullPage: options.fullPage ?? false, animations: 'disabled', caret: 'hide' });
  // Whole or not at all: a file is never seen half-written.
  const file = join(screenshotsDir, `${name}.png`);
  await writeFile(`${file}.${process.pid}.tmp`, png);
  await rename(`${file}.${process.pid}.tmp`, file);
}

export interface UiBrowser {
  browser: Browser;
  marketplace: StartedUiMarketplace;
  /** A page in a new context (closed after the test). */
  page(options?: NewPageOptions): Promise<Page>;
}

/**
 * One browser and one marketplace for the file (beforeAll), a context per page closed after
 * each test, and everything closed in afterAll, also when a test failed. Skips nothing by
 * itself: wrap the file's tests in `onBrowser.describe`.
 */
export function useUiBrowser(options: UiMarketplaceOptions = {}, when: Precondition = onBrowser): UiBrowser {
  const handle = {} as UiBrowser;
  let contexts: BrowserContext[] = [];
  beforeAll(async () => {
    if (!when.met) return;
    const [browser, marketplace] = await Promise.allSettled([openBrowser(), startUiMarketplace(options)]);
    if (browser.status === 'fulfilled') handle.browser = browser.value;
    if (marketplace.status === 'fulfilled') handle.marketplace = marketplace.value;
    if (browser.status === 'rejected') throw browser.reason;
    if (marketplace.status === 'rejected') throw marketplace.reason;
  }, 120_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await Promise.allSettled([handle.browser?.close(), handle.marketplace?.close()]);
  });
  handle.page = async (pageOptions) => {
    const page = await newPage(handle.browser, handle.marketplace, pageOptions);
    contexts = [...contexts, page.context()];
    return page;
  };
  return handle;
}
