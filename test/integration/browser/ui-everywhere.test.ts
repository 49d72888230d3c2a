/**
 * Every page of the Marketplace UI, as a person first opens it (a full load of its address),
 * against a marketplace with something on each page: products with licences and interfaces, a
 * deployable build, a platform with a running instance (a real dry-run agent), an entitlement
 * and a voucher, another user and a group. Each page is loaded twice: light at 1280×800 and
 * dark on a 360×740 phone, and must show
 *   - no serious or critical axe-core violation,
 *   - no horizontal scrolling on the phone,
 *   - no console error or uncaught exception,
 *   - no "undefined", "NaN" or "[object Object]" anywhere in its text,
 *   - no error note (role=alert), except where an error is the page's answer.
 * With HSP_SCREENSHOTS=1 it also saves the README's screenshots under docs/screenshots/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectAccessible, newPage, onBrowserOnce, pageProblems, saveScreenshot, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser({ products: 8, agent: true }, onBrowserOnce);

/** Ids the routes name, filled by the seed. */
const seeded = { productId: '', buildId: '', platformId: '' };

interface RouteCase {
  /** The UI path, `:product`, `:build`, `:platform` replaced by the seeded ids. */
  path: string;
  /** Anonymous instead of the administrator. */
  anonymous?: boolean;
  /** Text the page shows once its data is there (beyond its heading), e.g. a live status. */
  shows?: RegExp;
  /** An error note is this page's answer (e.g. a sign-in callback without a sign-in). */
  alert?: boolean;
  /** docs/screenshots/<name>.png of the light desktop load. */
  screenshot?: string;
}

const ROUTES: RouteCase[] = [
  { path: '', shows: /Ward Round Assistant/, screenshot: 'catalogue' },
  { path: '', anonymous: true, shows: /Ward Round Assistant/ },
  { path: 'products/:product', shows: /Ward Round Assistant/, screenshot: 'product' },
  { path: 'sign-in', anonymous: true },
  { path: 'auth/callback', anonymous: true, alert: true },
  { path: 'platforms', shows: /ward-3-server/ },
  { path: 'platforms/:platform', shows: /Running since/, screenshot: 'platform' },
  { path: 'publish', shows: /Ward Round Assistant/ },
  { path: 'publish/new' },
  { path: 'publish/products/:product', shows: /Ward Round Assistant/, screenshot: 'publish-product' },
  { path: 'publish/products/:product/builds/:build', shows: /1\.0\.0/ },
  { path: 'licences', shows: /Ward Round Assistant/ },
  { path: 'admin' },
  { path: 'admin/users', shows: /Nora Nurse/, screenshot: 'admin-users' },
  { path: 'admin/roles', shows: /Standard/ },
  { path: 'admin/licenses', shows: /Apache 2\.0/ },
  { path: 'admin/interfaces', shows: /FHIR R4/ },
  { path: 'admin/identity-providers' },
  { path: 'admin/groups', shows: /Night shift/ },
  { path: 'no-such-page' },
];

const LOOKS = [
  { name: 'light, 1280×800', colorScheme: 'light', viewport: { width: 1280, height: 800 } },
  { name: 'dark, 360×740 phone', colorScheme: 'dark', viewport: { width: 360, height: 740 } },
] as const;

type Look = (typeof LOOKS)[number];

/** One tab per look and account, reused from page to page (a new context per load costs more than the load). */
const tabs = new Map<string, Page>();

async function tab(look: Look, anonymous: boolean): Promise<Page> {
  const key = `${look.name}|${anonymous}`;
  let page = tabs.get(key);
  if (!page) {
    page = await newPage(ui.browser, ui.marketplace, { colorScheme: look.colorScheme, viewport: look.viewport, token: anonymous ? undefined : ui.marketplace.admin.token });
    tabs.set(key, page);
  }
  return page;
}

onBrowserOnce.describe('every page of the UI', () => {
  beforeAll(async () => {
    const { admin, agent } = ui.marketplace;
    const client = admin.client;
    const product = await client.products.create({
      name: 'Ward Round Assistant',
      description: 'Lists the patients of a ward round with their latest observations, and drafts the round’s notes.',
      mime_type: 'application/vnd.docker+smart',
      support_url: 'https://example.org/support',
    });
    await client.products.publish(product.id);
    const licenses = (await client.licenses.list({ perPage: 100 })).items;
    const offer = await client.productLicenses.create(product.id, { license_id: licenses.find((l) => l.name === 'MIT')!.id });
    const build = await client.builds.create(product.id, { version: '1.0.0', release_notes: 'First release.', container_repository: 'example/ward-round', container_tag: '1.0.0' });
    const configuration = await client.configurations.create(product.id, build.id, { name: 'default' });
    await client.tasks.create(product.id, build.id, configuration.id, {
      name: 'web',
      minimum: 1,
      memory: 256,
      ports: [8080],
      environment: [
        { key: 'PORT', description: 'Where to listen', default: '8080' },
        { key: 'WARD', description: 'The ward to list', default: 'A3' },
      ],
    });
    const fhir = (await client.interfaces.list({ perPage: 100 })).items.find((face) => face.name === 'FHIR R4')!;
    await client.exposures.create(product.id, build.id, { interface_id: fhir.id });
    const instance = await client.instances.create(admin.id, agent!.platformId, { build_id: build.id });
    await client.entitlements.create({ user_id: admin.id, product_license_id: offer.id });
    await client.vouchers.create({ product_license_id: offer.id, code: 'WARD-ROUND-2026' });
    await ui.marketplace.user('Nora Nurse');
    await client.groups.create({ name: 'Night shift', description: 'Nurses on nights.' });
    Object.assign(seeded, { productId: product.id, buildId: build.id, platformId: agent!.platformId });
    // The dry-run agent has deployed it: the platform page shows it running.
    for (let waited = 0; !(await client.instances.retrieve(admin.id, agent!.platformId, instance.id)).deployed_at; waited += 100) {
      if (waited > 15_000) throw new Error('the dry-run agent did not deploy the instance within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(async () => {
    await Promise.all([...tabs.values()].map((page) => page.context().close().catch(() => undefined)));
  });

  const cases = LOOKS.flatMap((look) => ROUTES.map((route) => ({ ...route, look, label: `/${route.path}${route.anonymous ? ' (anonymous)' : ''}, ${look.name}` })));
  it.each(cases)('$label', async ({ look, ...route }) => {
    const page = await tab(look, !!route.anonymous);
    const path = route.path.replace(':product', seeded.productId).replace(':build', seeded.buildId).replace(':platform', seeded.platformId);
    const before = pageProblems(page).length;
    await page.goto(path);
    await settled(page, route.shows);

    await expectAccessible(page, `/${path} (${look.name})`);
    const text = await page.locator('body').innerText();
    expect(text, 'words that mean a value went missing').not.toMatch(/\bundefined\b|\bNaN\b|\[object Object\]|\bnull\b/);
    if (!route.alert) expect(await page.locator('[role="alert"]').allInnerTexts(), 'error notes').toEqual([]);
    if (look.viewport.width === 360) {
      const { scrollWidth, innerWidth, overflowing } = await page.evaluate(measureWidth);
      expect(scrollWidth, `page wider than the phone (horizontal scrolling); sticking out: ${overflowing.join('; ')}`).toBeLessThanOrEqual(innerWidth);
    }
    expect(pageProblems(page).slice(before), 'console errors and uncaught exceptions').toEqual([]);
    if (route.screenshot && look.colorScheme === 'light') await saveScreenshot(page, route.screenshot);
    if (route.path === '' && !route.anonymous && look.colorScheme === 'dark') await saveScreenshot(page, 'catalogue-phone-dark');
  });

  it('the deploy dialog of a product page', async () => {
    const page = await tab(LOOKS[0], false);
    const before = pageProblems(page).length;
    await page.goto(`products/${seeded.productId}`);
    await settled(page, /Ward Round Assistant/);
    await page.getByRole('button', { name: 'Deploy to…' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect.poll(() => page.getByLabel('Platform').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'the deploy dialog');
    expect(await dialog.innerText()).not.toMatch(/\bundefined\b|\bNaN\b|\[object Object\]/);
    expect(pageProblems(page).slice(before)).toEqual([]);
    await saveScreenshot(page, 'deploy-dialog');
    await page.keyboard.press('Escape');
  });
});

/** The page has its heading, nothing is loading, and it shows `shows`. */
async function settled(page: Page, shows?: RegExp): Promise<void> {
  await page.waitForFunction(
    () => {
      const { document } = globalThis as unknown as { document: { querySelector(selector: string): unknown } };
      return !!document.querySelector('main h1') && !document.querySelector('.loading');
    },
    null,
    { timeout: 10_000, polling: 50 },
  );
  if (shows) await page.getByText(shows).first().waitFor({ timeout: 10_000 });
}

interface Box {
  tagName: string;
  className: unknown;
  textContent: string | null;
  parentElement: Box | null;
  getBoundingClientRect(): { right: number };
}

/**
 * In the page: how wide the document scrolls, and the elements that make it so: those reaching
 * past the window's right edge that no scrolling ancestor clips, the outermost of each chain
 * (a positioned element escapes its scrolling ancestor when its containing block is outside it,
 * so those are named whatever their ancestors).
 */
function measureWidth(): { scrollWidth: number; innerWidth: number; overflowing: string[] } {
  const { document, innerWidth, getComputedStyle } = globalThis as unknown as {
    document: { scrollingElement: { scrollWidth: number }; querySelectorAll(selector: string): ArrayLike<Box>; body: Box };
    innerWidth: number;
    getComputedStyle(element: Box): { overflowX: string; position: string };
  };
  const clipped = (element: Box) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = Array.from(document.querySelectorAll('body *')).filter((element) => element.getBoundingClientRect().right > innerWidth + 1);
  const culprits = wide.filter((element) => {
    const positioned = ['absolute', 'fixed'].includes(getComputedStyle(element).position);
    if (positioned) return true;
    return !clipped(element) && !wide.includes(element.parentElement!);
  });
  const overflowing = culprits.slice(0, 4).map((element) => {
    const className = typeof element.className === 'string' && element.className ? `.${element.className.trim().split(/\s+/).join('.')}` : '';
    const position = getComputedStyle(element).position;
    return `<${element.tagName.toLowerCase()}${className}>${position === 'static' ? '' : ` (position: ${position})`} "${(element.textContent ?? '').trim().slice(0, 40)}" to ${Math.round(element.getBoundingClientRect().right)} px`;
  });
  return { scrollWidth: document.scrollingElement.scrollWidth, innerWidth, overflowing };
}
