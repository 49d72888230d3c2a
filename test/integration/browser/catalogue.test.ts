/**
 * The catalogue and the product page in a real Chromium against `hsp serve` with 30 seeded
 * products: an anonymous visitor browses, searches, filters and pages, and reload and
 * back/forward keep what they chose (it lives in the URL); a product page shows its builds
 * (what they expose), licences and description as text; visitors are offered to sign in to
 * deploy, signed-in people get "Deploy to…"; an unpublished product is its owner's alone.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { expectAccessible, onBrowser, pageProblems, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser({ products: 30 });

/** Waits for what the page shows next: a search waits for typing to pause, then for the server. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

const articles = (page: Page) => page.getByRole('article');
const query = (page: Page) => new URL(page.url()).searchParams;
const countText = (page: Page) => page.locator('.catalogue-count');

async function articleNames(page: Page): Promise<string[]> {
  return articles(page).getByRole('heading', { level: 2 }).allInnerTexts();
}

onBrowser.describe('the catalogue', () => {
  it('browses anonymously: search, a filter and paging live in the URL, and survive reload and back', async () => {
    const seeded = ui.marketplace.products;
    const page = await ui.page();
    await page.goto('');

    // Page 1 of 30, by name: 24 products, the live region says how many in all.
    await poll(() => articles(page).count()).toBe(24);
    await poll(() => countText(page).innerText()).toBe('30 products');
    const byName = seeded.map((p) => p.name).sort();
    expect(await articleNames(page)).toEqual(byName.slice(0, 24));
    expect(await page.getByRole('status').filter({ hasText: '30 products' }).getAttribute('aria-live')).toBe('polite');
    // What the performance budget reads: marked once, when the first results are in the DOM.
    expect(await page.evaluate(() => performance.getEntriesByName('hsp:interactive').length)).toBe(1);
    await expectAccessible(page, 'the catalogue');

    // Paging.
    await page.getByRole('button', { name: 'Next page' }).click();
    await poll(() => query(page).get('page')).toBe('2');
    await poll(() => articleNames(page)).toEqual(byName.slice(24));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await poll(() => query(page).get('page')).toBeNull();
    await poll(() => articles(page).count()).toBe(24);

    // Search narrows the list; the words go into the URL as they are typed.
    const cardiology = seeded.filter((p) => p.name.startsWith('Cardiology'));
    await page.getByRole('searchbox', { name: 'Search products' }).fill('cardiology');
    await poll(() => query(page).get('q')).toBe('cardiology');
    await poll(() => articleNames(page)).toEqual(cardiology.map((p) => p.name).sort());
    await poll(() => countText(page).innerText()).toBe(`${cardiology.length} products`);

    // A licence filter on top: the server filters, so the count is across all pages.
    const licence = cardiology[0]!.license;
    const licensed = cardiology.filter((p) => p.license === licence);
    expect(licensed.length).toBeLessThan(cardiology.length);
    await page.getByLabel('Licence').selectOption({ label: licence });
    await poll(() => query(page).get('license')).toMatch(/^[0-9a-f-]{36}$/);
    await poll(() => articleNames(page)).toEqual(licensed.map((p) => p.name).sort());

    // Reload: the same search, filter and results.
    await page.reload();
    await poll(() => articleNames(page)).toEqual(licensed.map((p) => p.name).sort());
    expect(await page.getByRole('searchbox', { name: 'Search products' }).inputValue()).toBe('cardiology');
    expect(await page.getByLabel('Licence').evaluate((select) => (select as unknown as { selectedOptions: { label: string }[] }).selectedOptions[0]!.label)).toBe(licence);

    // Back: the search as it was before the filter.
    await page.goBack();
    await poll(() => query(page).get('license')).toBeNull();
    await poll(() => articleNames(page)).toEqual(cardiology.map((p) => p.name).sort());
    expect(await page.getByRole('searchbox', { name: 'Search products' }).inputValue()).toBe('cardiology');

    // An interface filter, with the search cleared: the products whose build exposes it.
    await page.getByRole('searchbox', { name: 'Search products' }).fill('');
    await poll(() => query(page).get('q')).toBeNull();
    const fhir = seeded.filter((p) => p.interface === 'FHIR R4');
    await page.getByLabel('Interface').selectOption({ label: 'FHIR R4 (4.0.1)' });
    await poll(() => articleNames(page)).toEqual(fhir.map((p) => p.name).sort());
    await poll(() => countText(page).innerText()).toBe(`${fhir.length} product${fhir.length === 1 ? '' : 's'}`);

    // A search that finds nothing says so.
    await page.getByRole('searchbox', { name: 'Search products' }).fill('nothing-called-this');
    await poll(() => page.getByText('No products match.').count()).toBe(1);
    await poll(() => countText(page).innerText()).toBe('No products');
    expect(pageProblems(page)).toEqual([]);
  }, 60_000);

  it('shows a product with its builds and licences; a visitor is asked to sign in to deploy', async () => {
    const product = ui.marketplace.products.find((p) => p.interface === 'SMART App Launch')!;
    const page = await ui.page();
    await page.goto(`?q=${encodeURIComponent(product.name)}`);
    await page.getByRole('link', { name: product.name }).click();
    await poll(() => new URL(page.url()).pathname).toBe(`/ui/products/${product.id}`);

    await poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe(product.name);
    const builds = page.getByRole('region', { name: 'Builds' });
    await poll(() => builds.getByRole('heading', { name: 'Version 1.0.0' }).count()).toBe(1);
    await poll(() => builds.innerText()).toContain('SMART App Launch 2.1.0');
    expect(await builds.innerText()).toContain(`example/${product.name.split(' ')[0]!.toLowerCase()}:1.0.0`);
    const licences = page.getByRole('region', { name: 'Licences' });
    await poll(() => licences.getByRole('heading', { name: product.license }).count()).toBe(1);
    expect(await licences.getByRole('link', { name: `Read the terms of ${product.license}` }).getAttribute('href')).toMatch(/^https?:\/\//);

    expect(await page.getByRole('button', { name: 'Deploy to…' }).count()).toBe(0);
    const signIn = page.getByRole('link', { name: 'Sign in to deploy' });
    expect(await signIn.getAttribute('href')).toBe(`/ui/sign-in?next=${encodeURIComponent(`products/${product.id}`)}`);
    await expectAccessible(page, 'a product page');

    // Back to the search it came from.
    await page.goBack();
    await poll(() => articleNames(page)).toContain(product.name);
    expect(await page.getByRole('searchbox', { name: 'Search products' }).inputValue()).toBe(product.name);
    expect(pageProblems(page)).toEqual([]);
  });

  it('offers "Deploy to…" to a signed-in user, and opens the deploy dialog', async () => {
    const product = ui.marketplace.products[1]!;
    const user = await ui.marketplace.user('Dana Deployer');
    const page = await ui.page({ token: user.token });
    await page.goto(`products/${product.id}`);
    await page.getByRole('button', { name: 'Deploy to…' }).click();
    await poll(() => page.getByRole('dialog').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Sign in to deploy' }).count()).toBe(0);
    // Not theirs: no publisher hint.
    expect(await page.getByRole('heading', { name: 'Publish this with hsp' }).count()).toBe(0);
  });

  it('shows an unpublished product to its owner only, with its description as text', async () => {
    const publisher = await ui.marketplace.user('Pat Publisher', 'Publisher');
    const product = await publisher.client.products.create({
      name: 'Draft Ward Planner',
      description: 'Plans ward rounds.\n\n<img src=x onerror="document.title=1"> is shown, never run.',
      mime_type: 'application/smart.v1',
    });
    const owner = await ui.page({ token: publisher.token });
    await owner.goto(`products/${product.id}`);
    await poll(() => owner.getByRole('heading', { level: 1 }).innerText()).toBe('Draft Ward Planner');
    await poll(() => owner.getByText('Unpublished', { exact: true }).count()).toBe(1);
    const about = owner.getByRole('region', { name: 'About' });
    expect(await about.locator('p').allInnerTexts()).toEqual(['Plans ward rounds.', '<img src=x onerror="document.title=1"> is shown, never run.']);
    expect(await about.locator('img').count()).toBe(0);
    await poll(() => owner.getByRole('region', { name: 'Builds' }).innerText()).toContain('No builds yet.');
    expect(await owner.getByRole('heading', { name: 'Publish this with hsp' }).count()).toBe(1);
    await expectAccessible(owner, 'an unpublished product, as its owner');

    const visitor = await ui.page();
    await visitor.goto(`products/${product.id}`);
    await poll(() => visitor.getByRole('heading', { level: 1 }).innerText()).toBe('No product here');
    await visitor.goto('products/not-a-product');
    await poll(() => visitor.getByRole('heading', { level: 1 }).innerText()).toBe('No product here');
    expect(await visitor.getByRole('link', { name: 'Browse the catalogue' }).count()).toBe(1);
  });
});
