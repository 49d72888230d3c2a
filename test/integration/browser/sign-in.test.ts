/**
 * Signing in to the Marketplace UI in a real Chromium: a pasted token, an identity provider
 * (a real OpenID Provider, through the marketplace's sign-in), the page kept across sign-in
 * and across a token that stops working, and sign-out revoking the token on hsp serve.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { expectAccessible, onBrowser, pageProblems, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser({ oidc: true });

/** What the tab keeps: the token in session storage, and the address bar. */
async function tabState(page: Page): Promise<{ token: string | null; url: string }> {
  const token = await page.evaluate(() => (globalThis as unknown as { sessionStorage: Storage }).sessionStorage.getItem('hsp.token'));
  return { token, url: page.url() };
}
type Storage = { getItem(key: string): string | null };

onBrowser.describe('signing in to the Marketplace UI', () => {
  it('sends an anonymous visitor of a private page to sign in, and back there with a pasted token', async () => {
    const page = await ui.page();
    await page.goto('platforms');
    await page.waitForURL(/\/ui\/sign-in\?next=platforms/);
    await expectAccessible(page, 'the sign-in page');

    await page.getByLabel('Token', { exact: true }).fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/\S/);
    expect(await page.getByRole('alert').textContent()).not.toMatch(/undefined|\[object/);
    expect((await tabState(page)).token).toBeNull();

    await page.getByLabel('Token', { exact: true }).fill(ui.marketplace.admin.token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.waitForURL(/\/ui\/platforms$/);
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    const state = await tabState(page);
    expect(state.token).toBe(ui.marketplace.admin.token);
    expect(state.url).not.toContain(ui.marketplace.admin.token);
    expect(pageProblems(page).filter((problem) => !/401|Unauthorized/.test(problem))).toEqual([]);
  });

  it('signs in through the identity provider and leaves no token in the address bar or history', async () => {
    const oidc = ui.marketplace.oidc!;
    const page = await ui.page();
    await page.goto('sign-in?next=licences');
    await page.getByRole('button', { name: `Sign in with ${oidc.providerName}` }).click();
    await page.waitForURL(/\/ui\/licences$/, { timeout: 30_000 });
    const { token, url } = await tabState(page);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(url).not.toContain('jwt');
    expect(url).not.toContain(token!);
    // The token is the marketplace's, for the provider's account.
    const who = await ui.marketplace.client(token!).session.whoami();
    expect(who?.identity.provider.id).toBe(oidc.providerId);
    // Back goes to where the person was before signing in, never to a URL holding the token.
    const history = await page.evaluate(() => (globalThis as unknown as { history: { length: number } }).history.length);
    expect(history).toBeGreaterThan(1);
    await page.goBack();
    expect(page.url()).not.toContain(token!);
  });

  it('ignores a sign-in answer this tab did not ask for', async () => {
    const page = await ui.page();
    await page.goto(`auth/callback?ui_state=forged#jwt=${ui.marketplace.admin.token}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not started from this tab');
    expect((await tabState(page)).token).toBeNull();
    expect(page.url()).not.toContain(ui.marketplace.admin.token);
  });

  it('signs out by revoking the token on the marketplace', async () => {
    const user = await ui.marketplace.user('signing-out');
    const page = await ui.page({ token: user.token });
    await page.goto('');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);
    expect((await tabState(page)).token).toBeNull();
    expect(await ui.marketplace.client(user.token).session.whoami().catch(() => null)).toBeNull();
  });

  it('takes a person whose token was revoked back to sign in, keeping the page', async () => {
    const user = await ui.marketplace.user('revoked');
    const page = await ui.page({ token: user.token });
    await page.goto('licences');
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    await user.client.session.logout();
    // The next request with the revoked token is refused: a reload asks the marketplace again.
    await page.reload();
    await page.waitForURL(/\/ui\/sign-in\?next=licences/);
    await page.getByLabel('Token', { exact: true }).fill(ui.marketplace.admin.token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.waitForURL(/\/ui\/licences$/);
  });
});
