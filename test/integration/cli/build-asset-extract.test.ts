import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../../src/index.js';
import { MAX_ASSET_BYTES } from '../../../src/manifest/archive-limits.js';
import { packDirectory } from '../../../src/manifest/pack.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
const dir = mkdtempSync(join(tmpdir(), 'hsp-cli-asset-extract-'));
const site = join(dir, 'site');
const build = (version: string) => ['--product', 'Packed App', '--build', version];

beforeAll(async () => {
  const product = await m.admin.products.create({ name: 'Packed App', mime_type: 'application/smart.v1' });
  await m.admin.builds.create(product.id, { version: '1.0.0' });
  await m.admin.builds.create(product.id, { version: '1.1.0' });
  mkdirSync(join(site, 'assets'), { recursive: true });
  mkdirSync(join(site, 'empty'));
  writeFileSync(join(site, 'index.html'), '<h1>Packed</h1>');
  writeFileSync(join(site, '.well-known'), '{}');
  writeFileSync(join(site, 'assets/app.js'), 'console.log("packed")');
  symlinkSync('app.js', join(site, 'assets/latest.js'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hsp builds asset with folders', () => {
  it('packs a folder on upload, and --extract recreates the tree from the marketplace', async () => {
    const uploaded = ok(await hsp(['builds', 'asset', 'upload', site, ...build('1.0.0')], { env: env() }));
    expect(uploaded.stderr).toMatch(new RegExp(`^✓ Attached ${site} \\(4 files packed, [\\d.]+ (bytes|KiB)\\) to build 1\\.0\\.0\\n$`));

    // The marketplace keeps the very bytes packDirectory makes, under the folder's name.
    const saved = join(dir, 'asset.tgz');
    ok(await hsp(['builds', 'asset', 'download', ...build('1.0.0'), '--output-file', saved], { env: env() }));
    const packed = await packDirectory(site);
    expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(packed.sha256);
    const details = json<Build>(await hsp(['builds', 'show', '1.0.0', '--product', 'Packed App', '--json'], { env: env() }));
    expect(details.asset_available).toBe(true);

    const out = join(dir, 'unpacked');
    const extracted = ok(await hsp(['builds', 'asset', 'download', ...build('1.0.0'), '--extract', out], { env: env() }));
    expect(extracted.stderr).toBe(`✓ Extracted 4 files into ${out}\n`);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('<h1>Packed</h1>');
    expect(readFileSync(join(out, '.well-known'), 'utf8')).toBe('{}');
    expect(readFileSync(join(out, 'assets/latest.js'), 'utf8')).toBe('console.log("packed")');
    expect(readlinkSync(join(out, 'assets/latest.js'))).toBe('app.js');
    expect(statSync(join(out, 'empty')).isDirectory()).toBe(true);

    // A folder with contents is only replaced with --force.
    writeFileSync(join(out, 'mine.txt'), 'mine');
    const refused = await hsp(['builds', 'asset', 'download', ...build('1.0.0'), '--extract', out], { env: env() });
    expect(refused).toMatchObject({ code: 1, stderr: `The folder ${out} is not empty; pass --force to replace its contents.\n` });
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('mine');
    const forced = json<{ directory: string; files: number }>(await hsp(['builds', 'asset', 'download', ...build('1.0.0'), '--extract', out, '--force', '--json'], { env: env() }));
    expect(forced).toEqual({ directory: out, files: 4 });
    expect(existsSync(join(out, 'mine.txt'))).toBe(false);
  });

  it('says in one sentence that an asset which is no archive cannot be extracted, and writes nothing', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'just notes');
    ok(await hsp(['builds', 'asset', 'upload', text, ...build('1.1.0')], { env: env() }));
    const before = readdirSync(dir).sort();
    const out = join(dir, 'never');
    const run = await hsp(['builds', 'asset', 'download', ...build('1.1.0'), '--extract', out], { env: env() });
    expect(run).toMatchObject({ code: 1, stderr: 'The asset of build "1.1.0" is not a tar or .tgz archive; save it with --output-file instead.\n' });
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses --output with --extract, and a folder that cannot be packed', async () => {
    const both = await hsp(['builds', 'asset', 'download', ...build('1.0.0'), '--extract', join(dir, 'x'), '--output-file', join(dir, 'x.tgz')], { env: env() });
    expect(both).toMatchObject({ code: 2, stderr: 'Pass either --output-file or --extract, not both.\n' });

    const leaky = join(dir, 'leaky');
    mkdirSync(leaky);
    writeFileSync(join(leaky, 'index.html'), 'x');
    symlinkSync(`../${basename(site)}/index.html`, join(leaky, 'borrowed.html'));
    const refused = await hsp(['builds', 'asset', 'upload', leaky, ...build('1.1.0')], { env: env() });
    // What the folder holds is the world, not the command line: exit 1.
    expect(refused).toMatchObject({ code: 1, stderr: `Cannot pack ${leaky}: "borrowed.html" is a symbolic link to "../site/index.html", outside the folder.\n` });
  });

  it("keeps the packer's size limit equal to the marketplace's upload limit", () => {
    expect(MAX_ASSET_BYTES).toBe(m.server.context.config.uploadLimit);
  });
});
