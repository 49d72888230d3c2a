/**
 * The licences page in a real Chromium: a publisher creates a voucher for a licence of their
 * product, a customer redeems its code and sees the entitlement with its terms; wrong and
 * spent codes get the marketplace's own sentence. Checked against the API, not only the page.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { expectAccessible, onBrowser, pageProblems, saveScreenshot, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser();

/** The text of the page's status live regions, where the pages say what an action did. */
const said = (page: Page) => page.getByRole('status').allTextContents().then((texts) => texts.join(' '));

onBrowser.describe('the licences page', () => {
  it('lets a customer redeem a voucher a publisher created, and shows the entitlement with its terms', async () => {
    const { admin, user } = ui.marketplace;
    const publisher = await user('Pat Publisher', 'Publisher');
    const customer = await user('Casey Customer');
    const license = await admin.client.licenses.create({ name: 'Ward licence', url: 'https://example.org/ward-licence', expiry: 'relative_date', days_valid: 90, uses: 3 });
    const past = new Date(Date.now() - 60_000).toISOString();
    const product = await publisher.client.products.create({ name: 'Fluid Balance Chart', published_at: past, visible_at: past });
    await publisher.client.productLicenses.create(product.id, { license_id: license.id });

    // The publisher makes a voucher for that offer: the code is made up in the page.
    const publishing = await ui.page({ token: publisher.token });
    await publishing.goto('licences');
    await publishing.getByRole('heading', { name: 'Vouchers for my products' }).waitFor();
    await publishing.getByLabel('Product and licence').selectOption({ label: 'Fluid Balance Chart — Ward licence' });
    const code = await publishing.getByLabel('Code', { exact: true }).inputValue();
    expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    await publishing.getByRole('button', { name: 'Create voucher' }).click();
    await expect.poll(() => said(publishing)).toContain(`Voucher ${code} created.`);
    await publishing.getByRole('row', { name: new RegExp(code) }).getByText('Not redeemed').waitFor();
    const issued = (await publisher.client.vouchers.list()).items.find((voucher) => voucher.code === code);
    expect(issued).toMatchObject({ redeemed_at: null });
    expect(issued?.issued_at).not.toBeNull();
    await expectAccessible(publishing, "the publisher's licences page");

    // The customer has nothing yet, and no publisher section.
    const page = await ui.page({ token: customer.token });
    await page.goto('licences');
    await page.getByText('You hold no licences yet.').waitFor();
    expect(await page.getByRole('heading', { name: 'Vouchers for my products' }).count()).toBe(0);

    // A wrong code: the API's sentence, and nothing redeemed.
    await page.getByLabel('Voucher code').fill('NOT-A-REAL-CODE');
    await page.getByRole('button', { name: 'Redeem' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('No voucher with that code.');
    expect((await customer.client.entitlements.list()).items).toEqual([]);

    await page.getByLabel('Voucher code').fill(`  ${code} `);
    await page.getByRole('button', { name: 'Redeem' }).click();
    await expect.poll(() => said(page)).toContain('Voucher redeemed');
    const row = page.getByRole('row', { name: /Fluid Balance Chart/ });
    await row.waitFor();
    // 90 days from today, 3 uses (none used yet), valid.
    const until = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.now() + 90 * 86_400_000));
    expect(await row.getByRole('cell').allTextContents()).toEqual(['Ward licence', expect.any(String), until, '3', 'Valid']);
    expect(await page.getByLabel('Voucher code').inputValue()).toBe('');
    const held = (await customer.client.entitlements.list()).items;
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ user_id: customer.id, product_license_id: issued!.product_license_id });
    await expectAccessible(page, "a customer's licences page");

    // The same code again: already redeemed, said by the marketplace.
    await page.getByLabel('Voucher code').fill(code);
    await page.getByRole('button', { name: 'Redeem' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^This voucher was already redeemed on \d{4}-\d\d-\d\dT/);
    expect((await customer.client.entitlements.list()).items).toHaveLength(1);

    // The publisher sees it redeemed, and the entitlement to their product.
    await publishing.reload();
    await publishing.getByRole('row', { name: new RegExp(code) }).getByText(/^Redeemed/).waitFor();
    const theirs = publishing.getByRole('region', { name: 'Entitlements to my products' }).getByRole('row', { name: /Fluid Balance Chart/ });
    expect(await theirs.getByRole('cell').last().textContent()).toBe('Valid');
    await saveScreenshot(publishing, 'licences', { fullPage: true });
    expect([...pageProblems(page), ...pageProblems(publishing)].filter((problem) => !/status of 404|status of 409/.test(problem))).toEqual([]);
  }, 60_000);

  it('sends an anonymous visitor to sign in first', async () => {
    const page = await ui.page();
    await page.goto('licences');
    await page.waitForURL(/\/ui\/sign-in\?next=licences$/);
  });
});
