/**
 * The administration pages in a real Chromium, each change checked through the API: an
 * administrator gives a user a role (and the user's permissions change) and takes it away,
 * writes a role's permissions in the grid, disables and enables an identity provider (whose
 * secret the page never shows), creates and edits a licence, adds and deletes an interface,
 * makes a group and adds a member. A Standard user sees no way in and is told why.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { expectAccessible, onBrowser, pageProblems, saveScreenshot, useUiBrowser } from '../../helpers/browser.js';

const ui = useUiBrowser();

/** The text of the page's status live regions, where the pages say what an action did. */
const said = (page: Page) => page.getByRole('status').allTextContents().then((texts) => texts.join(' '));

const adminPage = async () => ui.page({ token: ui.marketplace.admin.token });

onBrowser.describe('the administration pages', () => {
  it('shows a Standard user no Administration link, and says they may not when they go there', async () => {
    const standard = await ui.marketplace.user('Sam Standard');
    const page = await ui.page({ token: standard.token });
    await page.goto('');
    await page.getByRole('link', { name: 'Licences' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).count()).toBe(0);

    await page.goto('admin');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('You may not administer this marketplace');
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.goto('admin/users');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('You may not manage users');
    expect(await page.getByRole('table').count()).toBe(0);
    await expectAccessible(page, 'administration refused');
    // An unknown section is no page at all.
    await page.goto('admin/nothing-here');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  }, 60_000);

  it("gives a user a role and takes it away, and the user's permissions follow", async () => {
    const riley = await ui.marketplace.user('Riley Reviewer');
    const page = await adminPage();
    await page.goto('admin');
    const sections = page.getByRole('main');
    for (const section of ['Users', 'Roles', 'Licences', 'Interfaces', 'Identity providers', 'Groups']) await sections.getByRole('link', { name: section, exact: true }).waitFor();
    await expectAccessible(page, 'the administration index');

    await sections.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('Search users').fill('riley');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/admin\/users\?q=riley$/);
    await page.getByRole('link', { name: 'Riley Reviewer' }).click();
    await page.getByRole('heading', { name: 'Riley Reviewer', level: 1 }).waitFor();
    await expectAccessible(page, "a user's page");

    const before = await riley.client.session.whoami();
    expect(before?.permissions.products?.create).not.toBe(true);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Editor' });
    await page.getByRole('button', { name: 'Add role' }).click();
    await expect.poll(() => said(page)).toContain('Riley Reviewer now holds the role Editor.');
    await page.getByRole('listitem').filter({ hasText: 'Editor' }).waitFor();
    expect((await riley.client.session.whoami())?.permissions.products).toMatchObject({ create: true, update: true });

    await page.getByRole('listitem').filter({ hasText: 'Editor' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Yes, remove' }).click();
    await expect.poll(() => said(page)).toContain('Riley Reviewer no longer holds the role Editor.');
    expect((await riley.client.session.whoami())?.permissions.products?.create).not.toBe(true);
    expect(pageProblems(page)).toEqual([]);
  }, 60_000);

  it('creates a role from the permission grid', async () => {
    const page = await adminPage();
    await page.goto('admin/roles');
    await page.getByRole('link', { name: 'Editor' }).waitFor();
    await expectAccessible(page, 'the roles page');
    await page.getByRole('link', { name: 'New role' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Curator');
    await page.getByLabel('Description').fill('Publishes what editors prepared.');
    await page.getByLabel('products: read', { exact: true }).check();
    await page.getByLabel('products: publish').check();
    await expectAccessible(page, 'a new role');
    await saveScreenshot(page, 'admin-role');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.waitForURL(/admin\/roles\?role=[0-9a-f-]{36}$/);
    const role = (await ui.marketplace.admin.client.roles.list({ perPage: 100 })).items.find((candidate) => candidate.name === 'Curator');
    expect(role?.description).toBe('Publishes what editors prepared.');
    expect(role?.permissions?.products).toEqual({ create: false, read: true, update: false, delete: false, publish: true });
    expect(role?.permissions?.everything).toEqual({ manage: false });
    // The saved role opens with the grid as it was saved.
    expect(await page.getByLabel('products: publish').isChecked()).toBe(true);
    expect(await page.getByLabel('products: create').isChecked()).toBe(false);
  }, 60_000);

  it('disables and enables an identity provider it created, never showing the secret', async () => {
    const secret = 'a-client-secret-nobody-may-see';
    const page = await adminPage();
    await page.goto('admin/identity-providers');
    await page.getByLabel('Name').fill('Staff login');
    await page.getByLabel('Issuer URL').fill('https://login.example.org/staff');
    await page.getByLabel('Client id').fill('marketplace');
    await page.getByLabel('Client secret').fill(secret);
    await page.getByRole('button', { name: 'Add identity provider' }).click();
    await expect.poll(() => said(page)).toContain('Staff login added and enabled.');
    const row = page.getByRole('row', { name: /Staff login/ });
    await row.getByText(/^Enabled/).waitFor();
    expect(await page.getByLabel('Client secret').inputValue()).toBe('');
    expect(await page.content()).not.toContain(secret);
    await expectAccessible(page, 'the identity providers page');
    const anonymous = ui.marketplace.anonymous;
    const listed = async () => (await anonymous.identityProviders.list()).items.map((provider) => provider.name);
    expect(await listed()).toContain('Staff login');

    await page.getByRole('button', { name: 'Disable Staff login' }).click();
    await expect.poll(() => said(page)).toContain('Staff login disabled');
    await row.getByText('Disabled').waitFor();
    expect(await listed()).not.toContain('Staff login');

    await page.getByRole('button', { name: 'Enable Staff login' }).click();
    await expect.poll(() => said(page)).toContain('Staff login enabled');
    await row.getByText(/^Enabled/).waitFor();
    expect(await listed()).toContain('Staff login');
    expect(await page.content()).not.toContain(secret);
  }, 60_000);

  it('creates and edits a licence, and adds and deletes an interface', async () => {
    const admin = ui.marketplace.admin.client;
    const page = await adminPage();
    await page.goto('admin/licenses');
    await page.getByLabel('Name').fill('Clinic licence');
    await page.getByLabel('Licence text URL').fill('https://example.org/clinic-licence');
    await page.getByLabel('Duration').selectOption({ label: 'Until a date' });
    await page.getByLabel('Ends on').fill('2030-06-30');
    await page.getByLabel('Uses', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Add licence' }).click();
    await expect.poll(() => said(page)).toContain('Licence Clinic licence added.');
    await page.getByRole('row', { name: /Clinic licence/ }).getByText('Until 30 Jun 2030, 10 uses').waitFor();
    await expectAccessible(page, 'the licences administration page');
    const created = (await admin.licenses.list({ perPage: 100 })).items.find((license) => license.name === 'Clinic licence');
    expect(created).toMatchObject({ url: 'https://example.org/clinic-licence', expiry: 'absolute_date', uses: 10 });
    expect(created?.expires_at?.slice(0, 10)).toBe('2030-06-30');

    await page.getByRole('button', { name: 'Edit Clinic licence' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Clinic licence' });
    await dialog.getByLabel('Name').fill('Clinic licence 2030');
    await dialog.getByLabel('Duration').selectOption({ label: 'No end' });
    await expectAccessible(page, 'the licence dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row', { name: /Clinic licence 2030/ }).getByText('Indefinite, 10 uses').waitFor();
    expect(await admin.licenses.retrieve(created!.id)).toMatchObject({ name: 'Clinic licence 2030', expiry: 'indefinite', expires_at: null, uses: 10 });

    await page.goto('admin/interfaces');
    await page.getByLabel('Name').fill('CDS Hooks');
    await page.getByLabel('URI').fill('https://cds-hooks.hl7.org');
    await page.getByLabel('Version').fill('2.0');
    await page.getByRole('button', { name: 'Add interface' }).click();
    await page.getByRole('row', { name: /CDS Hooks/ }).waitFor();
    await expectAccessible(page, 'the interfaces page');
    const face = (await admin.interfaces.list({ perPage: 100 })).items.find((candidate) => candidate.name === 'CDS Hooks');
    expect(face).toMatchObject({ uri: 'https://cds-hooks.hl7.org', version: '2.0' });
    await page.getByRole('row', { name: /CDS Hooks/ }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expect.poll(() => said(page)).toContain('Interface CDS Hooks deleted.');
    expect((await admin.interfaces.list({ perPage: 100 })).items.map((candidate) => candidate.name)).not.toContain('CDS Hooks');
  }, 60_000);

  it('creates a group and adds a member', async () => {
    const member = await ui.marketplace.user('Morgan Member');
    const page = await adminPage();
    await page.goto('admin/groups');
    await page.getByLabel('Name').fill('Ward 3 nurses');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: 'Group Ward 3 nurses', level: 1 }).waitFor();
    await page.getByLabel('Find users by name').fill('morgan');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: 'Add Morgan Member' }).click();
    await expect.poll(() => said(page)).toContain('Morgan Member added to Ward 3 nurses.');
    await page.getByRole('region', { name: 'Members' }).getByRole('listitem').filter({ hasText: 'Morgan Member' }).waitFor();
    await expectAccessible(page, "a group's page");
    const group = (await ui.marketplace.admin.client.groups.list()).items.find((candidate) => candidate.name === 'Ward 3 nurses');
    expect((await ui.marketplace.admin.client.members.list(group!.id)).items.map((m) => m.user_id)).toEqual([member.id]);
    await page.goto('admin/groups');
    await page.getByRole('link', { name: 'Ward 3 nurses' }).waitFor();
    await expectAccessible(page, 'the groups page');
  }, 60_000);
});
