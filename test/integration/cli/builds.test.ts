import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { ANSI, json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
const dir = mkdtempSync(join(tmpdir(), 'hsp-cli-builds-'));
const app = ['--product', 'Build App'];

beforeAll(async () => {
  await m.admin.products.create({ name: 'Build App', mime_type: 'application/vnd.docker+smart' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hsp builds', () => {
  it('creates builds by version (not swallowed by hsp --version), lists them and shows one by version or id', async () => {
    const created = json<Build>(
      await hsp(['builds', 'create', ...app, '--version', '1.0.0', '--container-repository', 'ghcr.io/acme/app', '--container-tag', '1.0.0', '--permissions', '{"network":true}', '--json'], { env: env() }),
    );
    expect(created).toMatchObject({ version: '1.0.0', container_repository: 'ghcr.io/acme/app', permissions: { network: true } });
    ok(await hsp(['builds', 'create', ...app, '--version', '1.1.0'], { env: env() }));

    const table = ok(await hsp(['builds', 'list', ...app, '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+VERSION\s+CONTAINER\s+ASSET\s+PUBLISHED\s+UPDATED\n/);
    expect(table.stdout).toMatch(/1\.0\.0\s+ghcr\.io\/acme\/app:1\.0\.0\s+just now/);
    expect(table.stderr).toBe('2 builds\n');

    const piped = ok(await hsp(['builds', 'list', ...app], { env: env() }));
    expect(piped.stdout.split('\n')[0]).toBe([created.id, '1.0.0', 'ghcr.io/acme/app:1.0.0', '', '', created.updated_at].join('\t'));
    expect(piped.stdout).not.toMatch(ANSI);

    const byVersion = ok(await hsp(['builds', 'show', '1.0.0', ...app], { env: env() }));
    expect(byVersion.stdout).toContain(`id\t${created.id}\n`);
    const byId = json<Build>(await hsp(['builds', 'show', created.id, '--product', created.product_id, '--json'], { env: env() }));
    expect(byId.version).toBe('1.0.0');

    const missing = await hsp(['builds', 'show', '9.9.9', ...app], { env: env() });
    expect(missing).toMatchObject({ code: 1, stderr: 'No build with version "9.9.9".\n' });
    const noProduct = await hsp(['builds', 'list', '--product', 'Nope'], { env: env() });
    expect(noProduct).toMatchObject({ code: 1, stderr: 'No product named "Nope".\n' });
    const noParent = await hsp(['builds', 'list'], { env: env() });
    expect(noParent.code).toBe(2);
    expect(noParent.stderr).toBe("Required option '--product <product>' not specified.\n");
  });

  it('updates and deletes a build by version', async () => {
    ok(await hsp(['builds', 'create', ...app, '--version', '2.0.0'], { env: env() }));
    const updated = ok(await hsp(['builds', 'update', '2.0.0', ...app, '--release-notes', 'Faster'], { env: env() }));
    expect(updated.stderr).toMatch(/^✓ Updated build "2\.0\.0"/);
    const badJson = await hsp(['builds', 'update', '2.0.0', ...app, '--permissions', '{nope'], { env: env() });
    expect(badJson).toMatchObject({ code: 2, stderr: `--permissions must be JSON, e.g. '{"key":"value"}'.\n` });
    const nothing = await hsp(['builds', 'update', '2.0.0', ...app], { env: env() });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^Nothing to change: pass at least one of --version, /);
    const deleted = json<Build>(await hsp(['builds', 'delete', '2.0.0', ...app, '--yes', '--json'], { env: env() }));
    expect(deleted.version).toBe('2.0.0');
  });

  it('uploads an asset and downloads it to a file, to stdout, never over an existing file without --force', async () => {
    const source = join(dir, 'app-1.0.0.tgz');
    writeFileSync(source, 'the packaged app');
    const build = ['--product', 'Build App', '--build', '1.0.0'];
    const uploaded = json<Build>(await hsp(['builds', 'asset', 'upload', source, ...build, '--json'], { env: env() }));
    expect(uploaded.asset_available).toBe(true);

    const target = join(dir, 'copy.tgz');
    const saved = ok(await hsp(['builds', 'asset', 'download', ...build, '--output-file', target], { env: env() }));
    expect(saved.stderr).toBe(`✓ Saved ${target} (16 bytes)\n`);
    expect(readFileSync(target, 'utf8')).toBe('the packaged app');

    writeFileSync(target, 'mine');
    const refused = await hsp(['builds', 'asset', 'download', ...build, '--output-file', target], { env: env() });
    expect(refused).toMatchObject({ code: 1, stderr: `${target} already exists; pass --force to replace it.\n` });
    expect(readFileSync(target, 'utf8')).toBe('mine');
    ok(await hsp(['builds', 'asset', 'download', ...build, '--output-file', target, '--force'], { env: env() }));
    expect(readFileSync(target, 'utf8')).toBe('the packaged app');

    const stdout = ok(await hsp(['builds', 'asset', 'download', ...build, '--output-file', '-'], { env: env() }));
    expect(stdout).toMatchObject({ stdout: 'the packaged app', stderr: '' });

    // A failed download leaves nothing behind: no target, no temporary file.
    const before = readdirSync(dir).sort();
    const none = await hsp(['builds', 'asset', 'download', '--product', 'Build App', '--build', '1.1.0', '--output-file', join(dir, 'none.tgz')], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Build "1.1.0" has no asset.');
    expect(readdirSync(dir).sort()).toEqual(before);

    const missingFile = await hsp(['builds', 'asset', 'upload', join(dir, 'missing.tgz'), ...build], { env: env() });
    expect(missingFile).toMatchObject({ code: 1, stderr: `Cannot upload ${join(dir, 'missing.tgz')}: it does not exist.\n` });
    expect(existsSync(join(dir, 'missing.tgz'))).toBe(false);
  });
});
