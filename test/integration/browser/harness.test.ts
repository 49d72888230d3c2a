/**
 * The browser test harness itself (test/helpers/browser.ts), on what does not need the UI's
 * pages: Chromium starts, axe-core finds violations (also under a strict Content-Security-
 * Policy, which the UI is served with), a token reaches session storage before a page's
 * scripts run, users get their roles, seeded products are published and varied, the
 * OpenID Provider signs a real browser in, the dry-run agent deploys, and closing leaves no
 * process behind.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { PermissionDeniedError } from '../../../src/index.js';
import { expectAccessible, newPage, onBrowserOnce, openBrowser, pageProblems, startUiMarketplace, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser({ products: 24, oidc: true, agent: true }, onBrowserOnce);

/** A page of the marketplace's origin whose answer the test makes up (`page.route`). */
const madeUp = (path: string) => `${ui.marketplace.url}/harness-test/${path}`;

onBrowserOnce.describe('the browser harness', () => {
  it('runs axe-core on a page and fails listing each serious or critical violation', async () => {
    const page = await ui.page();
    await page.setContent('<!doctype html><html lang="en"><head><title>Fine</title></head><body><main><h1>Fine</h1><button>Save</button></main></body></html>');
    await expectAccessible(page, 'a fine page');

    await page.setContent('<!doctype html><html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1><button></button><img src="data:,"></main></body></html>');
    const failure = await expectAccessible(page, 'a broken page').then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toContain('axe-core found serious or critical violations on a broken page');
    expect(failure).toMatch(/button-name \(critical\): Buttons must have discernible text https:\/\/dequeuniversity\.com\/rules\/axe\/[\d.]+\/button-name/);
    expect(failure).toMatch(/image-alt \(critical\): Images must have alternative text/);
    expect(failure).toContain('["button"]');
  });

  it('injects axe-core into a page whose Content-Security-Policy forbids inline and injected scripts', async () => {
    const page = await ui.page();
    await page.route(madeUp('csp'), (route) =>
      route.fulfill({
        contentType: 'text/html',
        headers: { 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'" },
        body: '<!doctype html><html lang="en"><head><title>Strict</title></head><body><main><h1>Strict</h1><a href="#x"></a></main></body></html>',
      }),
    );
    await page.goto(madeUp('csp'));
    // The policy is in force: the page itself may not run an inline script.
    const inline = await page.evaluate(() => {
      const { document } = globalThis as unknown as { document: { createElement(tag: string): { textContent: string }; body: { append(node: unknown): void } } };
      const script = document.createElement('script');
      script.textContent = 'globalThis.inlineRan = true';
      document.body.append(script);
      return (globalThis as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    expect(inline).toBe(false);
    const failure = await expectAccessible(page, 'the strict page').catch((error: Error) => error.message);
    expect(failure).toMatch(/link-name \(serious\)/);
    expect(pageProblems(page).join('\n')).toContain('Content Security Policy');
  });

  it('puts the token in session storage before the page boots, once per tab', async () => {
    const page = await ui.page({ token: ui.marketplace.admin.token });
    await page.route(madeUp('boot'), (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Boot</title><script>document.title = sessionStorage.getItem("hsp.token") ? "token" : "none"</script>' }),
    );
    await page.goto(madeUp('boot'));
    expect(await page.title()).toBe('token');
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('hsp.token'))).toBe(ui.marketplace.admin.token);
    // Signed out in the tab: later navigations keep it signed out.
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { removeItem(k: string): void } }).sessionStorage.removeItem('hsp.token'));
    await page.goto(madeUp('boot'));
    expect(await page.title()).toBe('none');

    const anonymous = await ui.page();
    await anonymous.route(madeUp('boot'), (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Boot</title><script>document.title = sessionStorage.getItem("hsp.token") ? "token" : "none"</script>' }));
    await anonymous.goto(madeUp('boot'));
    expect(await anonymous.title()).toBe('none');
  });

  it('collects console errors and uncaught exceptions', async () => {
    const page = await ui.page();
    await page.route(madeUp('noisy'), (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Noisy</title><script>console.error("it went wrong"); setTimeout(() => { throw new Error("and then worse") })</script>' }),
    );
    await page.goto(madeUp('noisy'));
    await expect.poll(() => pageProblems(page)).toEqual(['console error: it went wrong', 'page error: and then worse']);
  });

  it('makes users with the roles the UI distinguishes', async () => {
    const standard = await ui.marketplace.user('Sam Standard');
    const publisher = await ui.marketplace.user('Pia Publisher', 'Publisher');
    const admin = await ui.marketplace.user('Ada Admin', 'Administrator');
    const permissions = async (client: typeof standard.client) => (await client.session.whoami())!.permissions;

    expect(await permissions(standard.client)).toEqual({ users: { read_self: true, update_self: true } });
    expect(await standard.client.products.create({ name: 'Not allowed' }).catch((error: unknown) => error)).toBeInstanceOf(PermissionDeniedError);

    expect(await permissions(publisher.client)).toMatchObject({ products: { create: true, publish: true } });
    const product = await publisher.client.products.create({ name: 'Pia’s product' });
    expect((await publisher.client.products.publish(product.id)).published_at).not.toBeNull();
    // A second publisher reuses the role.
    expect((await ui.marketplace.user('Pat Publisher', 'Publisher')).id).toEqual(expect.any(String));

    expect(await permissions(admin.client)).toMatchObject({ everything: { manage: true } });
    expect((await admin.client.users.list()).items.length).toBeGreaterThanOrEqual(4);
  });

  it('seeds published products varied enough for search, filters and sorting', async () => {
    const { products } = ui.marketplace;
    expect(products).toHaveLength(24);
    const anonymous = ui.marketplace.anonymous;
    const page = await anonymous.products.list({ perPage: 100 });
    expect(page.items.map((p) => p.name).sort()).toEqual(expect.arrayContaining(products.map((p) => p.name).sort()));
    expect(new Set(products.map((p) => p.mime_type)).size).toBe(4);
    expect(new Set(products.map((p) => p.license)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(products.filter((p) => p.interface).map((p) => p.interface))).toEqual(new Set(['FHIR R4', 'SMART App Launch']));

    const cardiology = (await anonymous.products.search({ text: 'cardiology' })).items.map((p) => p.name);
    expect(cardiology.sort()).toEqual(products.filter((p) => p.name.startsWith('Cardiology')).map((p) => p.name).sort());
    const html = await anonymous.products.list({ mime_type: 'text/html', perPage: 100 });
    expect(html.items.map((p) => p.id).sort()).toEqual(products.filter((p) => p.mime_type === 'text/html').map((p) => p.id).sort());
    const first = products[0]!;
    const licences = await anonymous.productLicenses.list(first.id);
    expect(licences.items).toHaveLength(1);
    expect((await anonymous.licenses.retrieve(licences.items[0]!.license_id)).name).toBe(first.license);
  });

  it('signs a real browser in through the OpenID Provider', async () => {
    const { oidc, url } = ui.marketplace;
    const providers = await ui.marketplace.anonymous.identityProviders.list();
    expect(providers.items.map((p) => p.name)).toContain(oidc!.providerName);

    // A loopback redirect (the CLI's way back): the token comes in ?jwt=. A real listener, as
    // Playwright's routes do not see the targets of redirects.
    const listener = createServer((_req, res) => res.end('signed in'));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/harness-callback`;
    const page = await ui.page();
    try {
      await page.goto(`${url}/identity_providers/${oidc!.providerId}/redirect?redirect_uri=${encodeURIComponent(callback)}`);
    } finally {
      listener.closeAllConnections();
      listener.close();
    }
    expect(page.url()).toMatch(new RegExp(`^${callback}\\?`));
    expect(await page.textContent('body')).toBe('signed in');
    const jwt = new URL(page.url()).searchParams.get('jwt');
    expect(jwt).toEqual(expect.any(String));
    const who = await ui.marketplace.client(jwt!).session.whoami();
    expect(who?.user.name).toBe('Casey Clinician');
  });

  it('runs a dry-run agent for the administrator’s platform that deploys instances', async () => {
    const { agent, admin } = ui.marketplace;
    const platform = await admin.client.platforms.retrieve(admin.id, agent!.platformId);
    expect(platform.name).toBe('ward-3-server');
    const deployable = ui.marketplace.products.find((p) => p.interface)!;
    const build = (await admin.client.builds.list(deployable.id)).items[0]!;
    const instance = await admin.client.instances.create(admin.id, platform.id, { build_id: build.id });
    await expect
      .poll(async () => (await admin.client.instances.retrieve(admin.id, platform.id, instance.id)).deployed_at, { timeout: 15_000 })
      .not.toBeNull();
    await admin.client.instances.delete(admin.id, platform.id, instance.id);
  });
});

onBrowserOnce.describe('closing the harness', () => {
  it('stops the agent, the provider and the server, and drops nothing it did not open', async () => {
    const browser = await openBrowser();
    const started = await startUiMarketplace({ agent: true, oidc: true });
    try {
      const page = await newPage(browser, started);
      // hsp serve answers on the UI's origin.
      const status = await page.request.get(`${started.url}/status`, { headers: { accept: 'application/json' } });
      expect(status.status()).toBe(200);
    } finally {
      await browser.close();
      await started.close();
    }
    const agent = started.agent!.process;
    expect(agent.child.exitCode !== null || agent.child.signalCode !== null).toBe(true);
    expect((await agent.exited).code).toBe(0);
    await expect(fetch(`${started.url}/status`)).rejects.toThrow();
    await expect(fetch(`${started.oidc!.provider.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
    // Closing twice is harmless.
    await started.close();
  });
});
