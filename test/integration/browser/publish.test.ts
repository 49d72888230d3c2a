/**
 * The publisher pages in a real Chromium against hsp serve: a publisher creates a product,
 * gives it a logo, edits it, adds a build with a configuration and a task, publishes and
 * unpublishes it (each step checked through the SDK, not just on screen); an editor without
 * products.publish has no Publish button at all; a Standard user is told they cannot publish.
 */
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { expectAccessible, onBrowser, pageProblems, useUiBrowser, type UiRole } from '../../helpers/browser.js';

const ui = useUiBrowser();

/** A real, decodable PNG of `size`×`size` pixels in one colour (the marketplace keeps the bytes as sent). */
function png(size: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const check = Buffer.alloc(4);
    check.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, check]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => rgb).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

/** Waits until the polite live region of a section (named by its heading) says `text`. */
const announced = (page: Page, heading: string, text: string) =>
  page.getByRole('region', { name: heading }).getByRole('status').getByText(text, { exact: true }).waitFor();

onBrowser.describe('publisher pages', () => {
  it('a publisher creates a product, gives it a logo, a licence and a screenshot, and edits it', async () => {
    const publisher = await ui.marketplace.user('Pat Publisher', 'Publisher');
    const page = await ui.page({ token: publisher.token });

    await page.goto('publish');
    await page.getByText('You have not published any products yet.').waitFor();
    await expectAccessible(page, 'my products, empty');

    await page.getByRole('link', { name: 'New product' }).click();
    await page.getByRole('heading', { level: 1, name: 'New product' }).waitFor();
    await expectAccessible(page, 'the new product form');
    // A name is needed: said next to the field, nothing created.
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByText('Give the product a name.').waitFor();
    expect((await publisher.client.products.list({ user_id: publisher.id })).items).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('Sepsis Watch');
    await page.getByLabel('Description', { exact: true }).fill('Flags early sepsis on the ward.\nReads vitals from FHIR every five minutes.');
    await page.getByLabel('MIME type', { exact: true }).fill('application/vnd.docker+smart');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.waitForURL(/\/ui\/publish\/products\/[0-9a-f-]{36}$/);
    const productId = page.url().split('/').pop()!;
    const created = await publisher.client.products.retrieve(productId);
    expect(created).toMatchObject({ name: 'Sepsis Watch', user_id: publisher.id, mime_type: 'application/vnd.docker+smart', published_at: null });
    await page.getByRole('heading', { level: 1, name: 'Sepsis Watch' }).waitFor();
    await expectAccessible(page, 'the product editor');

    // The logo: a wrong file is refused before any upload; a PNG is previewed, then uploaded.
    const logoInput = page.getByLabel('Logo image');
    await logoInput.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.getByText('The logo must be a PNG, JPEG, GIF, WebP or SVG image; "notes.txt" is of type text/plain.').waitFor();
    expect(await page.getByRole('button', { name: 'Upload logo' }).isDisabled()).toBe(true);
    const logo = png(32, [20, 120, 200]);
    await logoInput.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logo });
    const preview = page.getByRole('img', { name: 'Preview of the new logo for Sepsis Watch' });
    await preview.waitFor();
    expect(await preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(32);
    await page.getByRole('button', { name: 'Upload logo' }).click();
    await announced(page, 'Logo', 'Logo saved');
    expect(Buffer.from(await (await publisher.client.products.logo(productId)).bytes()).equals(logo)).toBe(true);
    await page.getByRole('img', { name: 'Logo of Sepsis Watch' }).waitFor();

    // An edit, saved and announced.
    await page.getByLabel('Website', { exact: true }).fill('https://sepsis-watch.example.org');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await announced(page, 'Details', 'Saved');
    expect((await publisher.client.products.retrieve(productId)).uri).toBe('https://sepsis-watch.example.org');

    // A licence offered, and a screenshot; a caption used twice is refused with the API's sentence.
    await page.getByLabel('Licence', { exact: true }).selectOption({ label: 'MIT' });
    await page.getByRole('button', { name: 'Add licence' }).click();
    await announced(page, 'Licences', 'Licence MIT added');
    const mit = (await publisher.client.licenses.list({ perPage: 100 })).items.find((licence) => licence.name === 'MIT')!;
    expect((await publisher.client.productLicenses.list(productId)).items.map((row) => row.license_id)).toEqual([mit.id]);
    for (const attempt of [1, 2]) {
      await page.getByLabel('Caption', { exact: true }).fill('Ward overview');
      await page.getByLabel('Screenshot image').setInputFiles({ name: 'ward.png', mimeType: 'image/png', buffer: png(64, [240, 240, 240]) });
      await page.getByRole('button', { name: 'Add screenshot' }).click();
      if (attempt === 1) await announced(page, 'Screenshots', 'Screenshot "Ward overview" added');
    }
    await page.getByText('Caption has already been taken.').waitFor();
    expect((await publisher.client.screenshots.list(productId)).items.map((shot) => shot.caption)).toEqual(['Ward overview']);
    await page.getByRole('img', { name: 'Ward overview' }).waitFor();
    expect(pageProblems(page).filter((problem) => !/status of 4\d\d/.test(problem))).toEqual([]);
  });

  it('a publisher adds a build, a configuration with a task, and release notes', async () => {
    const publisher = await ui.marketplace.user('Bea Builder', 'Publisher');
    const { id: productId } = await publisher.client.products.create({ name: 'Early Warning Score' });
    const page = await ui.page({ token: publisher.token });
    await page.goto(`publish/products/${productId}`);
    await page.getByText('No builds yet.').waitFor();

    // A build, then its page: a configuration with a task that reads one variable.
    await page.getByLabel('Version', { exact: true }).fill('2.1.0');
    await page.getByLabel('Container image', { exact: true }).fill('ghcr.io/example/sepsis-watch');
    await page.getByLabel('Image tag', { exact: true }).fill('2.1.0');
    await page.getByRole('button', { name: 'Create build' }).click();
    await page.waitForURL(/\/builds\/[0-9a-f-]{36}$/);
    const buildId = page.url().split('/').pop()!;
    await page.getByRole('heading', { level: 1, name: 'Build 2.1.0' }).waitFor();
    expect(await publisher.client.builds.retrieve(productId, buildId)).toMatchObject({ version: '2.1.0', container_repository: 'ghcr.io/example/sepsis-watch', container_tag: '2.1.0' });
    await expectAccessible(page, 'the build editor');

    await page.getByLabel('Configuration name').fill('default');
    await page.getByRole('button', { name: 'Add configuration' }).click();
    await page.getByRole('heading', { name: 'Configuration default' }).waitFor();
    await page.getByRole('button', { name: 'Add task to configuration default' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a task' });
    await dialog.getByLabel('Task name').fill('web');
    await dialog.getByLabel('Ports').fill('8080');
    await dialog.getByLabel('Memory (MB)').fill('512');
    await dialog.getByLabel('Minimum instances').fill('1');
    await dialog.getByLabel('Maximum instances').fill('2');
    await dialog.getByRole('button', { name: 'Add variable' }).click();
    await dialog.getByLabel('Variable 1 name').fill('fhir url');
    await dialog.getByRole('button', { name: 'Save task' }).click();
    await dialog.getByText('The variable name "fhir url" may have only upper-case letters, digits and underscores.').waitFor();
    await dialog.getByLabel('Variable 1 name').fill('FHIR_BASE_URL');
    await dialog.getByLabel('Variable 1 description').fill('The FHIR server to read vitals from');
    await dialog.getByRole('checkbox', { name: 'Required' }).check();
    await expectAccessible(page, 'the task dialog');
    await dialog.getByRole('button', { name: 'Save task' }).click();
    await page.getByRole('cell', { name: 'port 8080 · 512 MB · 1 to 2 instances' }).waitFor();
    const [configuration] = (await publisher.client.configurations.list(productId, buildId)).items;
    expect(configuration?.name).toBe('default');
    const [task] = (await publisher.client.tasks.list(productId, buildId, configuration!.id)).items;
    expect(task).toMatchObject({ name: 'web', ports: [8080], memory: 512, minimum: 1, maximum: 2 });
    expect(task?.environment).toEqual([{ key: 'FHIR_BASE_URL', description: 'The FHIR server to read vitals from', required: true }]);

    await page.getByLabel('Release notes').fill('Alerts go to the charge nurse too.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await announced(page, 'Version and image', 'Saved');
    expect((await publisher.client.builds.retrieve(productId, buildId)).release_notes).toBe('Alerts go to the charge nurse too.');

    // The product's page lists the build, linked.
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Early Warning Score' }).click();
    await page.getByRole('row', { name: /2\.1\.0.*Draft/ }).getByRole('link', { name: '2.1.0' }).waitFor();
    expect(pageProblems(page).filter((problem) => !/status of 4\d\d/.test(problem))).toEqual([]);
  });

  it('a publisher publishes and unpublishes a product, and the catalogue follows', async () => {
    const publisher = await ui.marketplace.user('Pia Publisher', 'Publisher');
    const { id: productId } = await publisher.client.products.create({ name: 'Discharge Planner' });
    const page = await ui.page({ token: publisher.token });
    await page.goto(`publish/products/${productId}`);
    await page.getByRole('heading', { level: 1, name: 'Discharge Planner' }).waitFor();
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByRole('button', { name: 'Unpublish' }).waitFor();
    expect((await publisher.client.products.retrieve(productId)).published_at).not.toBeNull();
    const inCatalogue = async () => (await ui.marketplace.anonymous.products.list({ perPage: 100 })).items.some((item) => item.id === productId);
    expect(await inCatalogue()).toBe(true);
    expect(await page.getByText('Published', { exact: true }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Unpublish' }).click();
    await page.getByRole('button', { name: 'Publish', exact: true }).waitFor();
    expect((await publisher.client.products.retrieve(productId)).published_at).toBeNull();
    expect(await inCatalogue()).toBe(false);

    // My products lists it, not published.
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'My products' }).click();
    const row = page.getByRole('row', { name: /Discharge Planner/ });
    await row.waitFor();
    expect(await row.getByText('Not published').isVisible()).toBe(true);
    await expectAccessible(page, 'my products');
  });

  it('an editor without products.publish edits a product but has no Publish button at all', async () => {
    // The template role Editor may create and edit products; publishing is curation.
    const editor = await ui.marketplace.user('Eddie Editor', 'Editor' as UiRole);
    const product = await editor.client.products.create({ name: 'Fluid Balance' });
    // On a phone: the editor fits 360 px without sideways scrolling.
    const page = await ui.page({ token: editor.token, viewport: { width: 360, height: 740 } });
    await page.goto(`publish/products/${product.id}`);
    await page.getByRole('heading', { level: 1, name: 'Fluid Balance' }).waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Publish', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Unpublish' }).count()).toBe(0);
    // The nav still leads here: the role may create products.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Publish' }).count()).toBe(1);
    await expectAccessible(page, 'the product editor without products.publish');
    const widths = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return { scroll: root.scrollWidth, client: root.clientWidth };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  });

  it('a Standard user has no Publish link, and the publisher pages say they cannot publish', async () => {
    const standard = await ui.marketplace.user('Sam Standard');
    const page = await ui.page({ token: standard.token });
    await page.goto('');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Publish' }).count()).toBe(0);
    for (const path of ['publish', 'publish/new']) {
      await page.goto(path);
      await page.getByText('Your account cannot publish products.', { exact: false }).waitFor();
      expect(await page.getByRole('link', { name: 'New product' }).count()).toBe(0);
      expect(await page.getByRole('button').filter({ hasText: /Create product|Publish/ }).count()).toBe(0);
      await expectAccessible(page, `${path} for a Standard user`);
    }
  });

  it('an anonymous visitor to a publisher page is sent to sign in, and comes back there', async () => {
    const page = await ui.page();
    await page.goto('publish');
    await page.waitForURL(/\/ui\/sign-in\?next=publish$/);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });
});
