/**
 * `hsp publish` as people and CI run it: the plan as JSON, text on a terminal and in a pipe,
 * publishing, failures listed with exit code 1, the marketplace chosen by flags or by the
 * manifest, and bad input answered with one sentence.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { hsp } from '../../helpers/cli.js';
import { ANSI, json } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { png } from './fixtures.js';

const m = useMarketplace();
let configDir = '';

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'hsp-publish-config-'));
});

/** An hsp.yaml product in a folder of its own; `extra` goes under `build:`. */
async function product(name: string, options: { marketplaceUrl?: string; extra?: string } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hsp-publish-cli-'));
  await writeFile(join(dir, 'logo.png'), png(10, 20, 30));
  await writeFile(join(dir, 'home.png'), png(40, 50, 60));
  const yaml = [
    ...(options.marketplaceUrl ? [`marketplace_url: ${options.marketplaceUrl}`] : []),
    'product:',
    `  name: ${name}`,
    '  description: A product published from the command line.',
    '  logo: logo.png',
    '  screenshots:',
    '    - caption: Home',
    '      file: home.png',
    '  licenses:',
    '    - name: MIT',
    '      url: https://opensource.org/licenses/MIT',
    'build:',
    '  version: 1.0.0',
    '  image: example/cli-app:1.0.0',
    '  configurations:',
    '    - name: default',
    '      tasks:',
    '        - name: web',
    '          ports: [80]',
    '          memory: { maximum: 256 }',
    ...(options.extra ? [options.extra] : []),
  ].join('\n');
  await writeFile(join(dir, 'hsp.yaml'), `${yaml}\n`);
  return join(dir, 'hsp.yaml');
}

const signedIn = (token = m.server.adminToken) => ({ HSP_URL: m.url, HSP_TOKEN: token, HSP_CONFIG_DIR: configDir });

async function findProduct(name: string) {
  for await (const p of m.admin.products.list({ perPage: 100 })) if (p.name === name) return p;
  return undefined;
}

describe('hsp publish', () => {
  it('--dry-run --json prints the plan as one JSON document and changes nothing', async () => {
    const file = await product('Dry App');
    const document = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--dry-run', '--json'], { env: signedIn() }));
    expect(Object.keys(document)).toEqual(['product', 'build', 'marketplace', 'actions', 'summary', 'warnings', 'errors']);
    expect(document.marketplace).toBe(m.url);
    for (const action of document.actions) {
      expect(['create', 'update', 'delete', 'unchanged']).toContain(action.action);
      expect(action).toEqual(expect.objectContaining({ resource: expect.any(String), id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: expect.any(String) }));
      expect(action.outcome).toBeUndefined();
    }
    expect(document.actions.map((a) => `${a.action} ${a.resource}`)).toEqual([
      'create product',
      'unchanged license',
      'create product_license',
      'create logo',
      'create screenshot',
      'create build',
      'create configuration',
      'create task',
    ]);
    expect(document.summary).toEqual({ create: 7, update: 0, delete: 0, unchanged: 1 });
    expect(document.errors).toEqual([]);
    expect(await findProduct('Dry App')).toBeUndefined();
  });

  it('on a terminal: the plan, a line per step as it ends, and a summary; then "nothing to change"', async () => {
    const file = await product('Terminal App');
    const run = await hsp(['publish', '--no-resolve', file], { env: signedIn(), tty: true });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(ANSI);
    // What a terminal would show: colours gone, and a line rewritten after \r shows its last text.
    const plain = (text: string) =>
      text
        .split('\n')
        // eslint-disable-next-line no-control-regex -- the escape character is what is removed
        .map((line) => line.split('\r').at(-1)!.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''))
        .join('\n');
    expect(plain(run.stdout)).toBe(
      [
        `Publishing "Terminal App" 1.0.0 to ${m.url}:`,
        '  + create product "Terminal App"',
        '  + create license offer "MIT"',
        '  + create logo "logo.png"',
        '  + create screenshot "Home"',
        '  + create build 1.0.0',
        '  + create configuration "default"',
        '  + create task "web" (configuration "default")',
        '  = 1 unchanged',
        '',
        'Plan: 7 to create, 0 to update, 0 to delete, 1 unchanged.',
        '✓ Done: 7 created, 0 updated, 0 deleted, 1 unchanged.',
        '',
      ].join('\n'),
    );
    const steps = plain(run.stderr).split('\n').filter((line) => line.startsWith('['));
    // Steps are numbered as they end; which independent step ends first is up to the server.
    expect(steps.map((line) => line.slice(0, 5))).toEqual(['[1/7]', '[2/7]', '[3/7]', '[4/7]', '[5/7]', '[6/7]', '[7/7]']);
    expect(steps[0]).toBe('[1/7] ✓ created product "Terminal App"');
    expect(steps.map((line) => line.slice(6)).sort()).toEqual(
      [
        '✓ created build 1.0.0',
        '✓ created configuration "default"',
        '✓ created license offer "MIT"',
        '✓ created logo "logo.png"',
        '✓ created product "Terminal App"',
        '✓ created screenshot "Home"',
        '✓ created task "web" (configuration "default")',
      ].sort(),
    );

    const again = await hsp(['publish', '--no-resolve', file], { env: signedIn(), tty: true });
    expect(again.code).toBe(0);
    expect(plain(again.stdout)).toContain('  = 8 unchanged\n');
    expect(again.stdout).toContain(`Nothing to change: ${m.url} already matches ${file}.\n`);
  });

  it('in a pipe: the same lines without colour, and --verbose lists the unchanged too', async () => {
    const file = await product('Pipe App');
    const run = await hsp(['publish', '--no-resolve', file], { env: signedIn() });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(ANSI);
    expect(run.stderr).toContain('[1/7] ✓ created product "Pipe App"\n');
    expect(run.stdout).toContain('✓ Done: 7 created, 0 updated, 0 deleted, 1 unchanged.\n');
    const verbose = await hsp(['publish', '--no-resolve', file, '--dry-run', '--verbose'], { env: signedIn() });
    expect(verbose.stdout).toMatch(/^Plan for "Pipe App" 1\.0\.0 on http:\/\/127\.0\.0\.1:\d+:\n/);
    expect(verbose.stdout).toContain('  = unchanged product "Pipe App"\n');
    expect(verbose.stdout).toContain('  = unchanged task "web" (configuration "default")\n');
  });

  it('--publish publishes the product once everything is in place', async () => {
    const file = await product('Public App');
    const run = await hsp(['publish', '--no-resolve', file, '--publish', '--json'], { env: signedIn() });
    const document = json<PlanDocument>(run);
    expect(document.actions.at(-1)).toMatchObject({ action: 'create', resource: 'publication', name: 'Public App', outcome: 'done' });
    const published = await findProduct('Public App');
    expect(published?.published_at).not.toBeNull();
    // Anyone sees it now.
    expect((await m.anonymous.products.retrieve(published!.id)).name).toBe('Public App');
    const again = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--publish', '--json'], { env: signedIn() }));
    expect(again.summary).toEqual({ create: 0, update: 0, delete: 0, unchanged: 9 });
  });

  it('exits 1 and lists the failed steps when some fail; what does not depend on them is done', async () => {
    // An editor may publish products but not create interfaces.
    const editor = await m.user('Editor of CLI tests', ['Editor']);
    const file = await product('Half App', { extra: ['  exposures:', '    - interface: { name: Half Interface, uri: "https://example.com/half", version: "1" }'].join('\n') });
    const run = await hsp(['publish', '--no-resolve', file], { env: signedIn(editor.token) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[\d+\/9\] ✗ create interface "Half Interface" failed: .+\n/);
    expect(run.stderr).toContain('- skipped create exposure of "Half Interface" (it needs create interface "Half Interface")\n');
    expect(run.stderr).toMatch(/1 step failed:\n {2}create interface "Half Interface": .*not allowed.*\n/);
    expect(run.stderr).toContain('Run hsp publish again once the cause is fixed: what is done stays done, and the rest is completed.\n');
    expect(run.stdout).toContain('Incomplete: 7 created, 0 updated, 0 deleted, 1 unchanged; 1 failed, 1 skipped.\n');
    expect(run.stdout + run.stderr).not.toContain(editor.token);
    expect((await findProduct('Half App'))?.description).toBe('A product published from the command line.');

    const document = JSON.parse((await hsp(['publish', '--no-resolve', file, '--json'], { env: signedIn(editor.token) })).stdout) as PlanDocument;
    expect(document.outcomes).toEqual({ done: 0, unchanged: 8, failed: 1, skipped: 1 });
    expect(document.actions.find((a) => a.resource === 'exposure')).toMatchObject({ outcome: 'skipped', blocked_by: expect.stringMatching(/^interface:/) });
  });

  it('refuses to change a published version, one sentence per difference, until --force', async () => {
    const file = await product('Versioned App');
    expect((await hsp(['publish', '--no-resolve', file], { env: signedIn() })).code).toBe(0);
    await writeFile(file, (await readFile(file, 'utf8')).replace('example/cli-app:1.0.0', 'example/cli-app:1.0.1'));
    const refused = await hsp(['publish', '--no-resolve', file], { env: signedIn() });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('  ~ update build 1.0.0: container_tag "1.0.0" → "1.0.1"\n');
    expect(refused.stderr).toBe(
      `error: Build 1.0.0 has container_tag "1.0.0" in the marketplace but "1.0.1" in ${file}.\n` +
        'error: Build 1.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.\n',
    );
    const forced = await hsp(['publish', '--no-resolve', file, '--force'], { env: signedIn() });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('! Changing build 1.0.0, which is already in the marketplace (--force): 1 change.\n');
    expect(forced.stdout).toContain('✓ Done: 0 created, 1 updated, 0 deleted, 7 unchanged.\n');
  });

  it("publishes to the manifest's marketplace_url when nothing else names one, and warns when another is chosen", async () => {
    const file = await product('Target App', { marketplaceUrl: m.url });
    // The environment's token goes only where the user pointed it, never where a file points.
    expect(await hsp(['publish', '--no-resolve', file, '--dry-run', '--json'], { env: { HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: configDir } })).toMatchObject({
      code: 4,
      stdout: '',
      stderr: `HSP_TOKEN is not sent to ${m.url}, a marketplace named by a file: set HSP_URL (or pass --url) to it as well, or run "hsp login --url ${m.url}".\n`,
    });
    const profileDir = await mkdtemp(join(tmpdir(), 'hsp-publish-profile-'));
    expect((await hsp(['login', '--url', m.url, '--with-token', '--insecure-storage'], { env: { HSP_CONFIG_DIR: profileDir }, stdin: m.server.adminToken })).code).toBe(0);
    const withManifestUrl = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--dry-run', '--json'], { env: { HSP_CONFIG_DIR: profileDir } }));
    expect(withManifestUrl.marketplace).toBe(m.url);
    expect(withManifestUrl.warnings).toEqual([]);

    const other = await product('Other Target App', { marketplaceUrl: 'https://marketplace.example.com' });
    const elsewhere = json<PlanDocument>(await hsp(['publish', '--no-resolve', other, '--dry-run', '--json', '--url', m.url], { env: { HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: configDir } }));
    expect(elsewhere.warnings).toEqual([`Publishing to ${m.url}, not to https://marketplace.example.com, the marketplace_url of ${other}.`]);

    const anonymous = await hsp(['publish', '--no-resolve', file, '--dry-run'], { env: { HSP_CONFIG_DIR: configDir } });
    expect(anonymous).toMatchObject({ code: 4, stdout: '', stderr: 'You are not signed in: run "hsp login", or set HSP_TOKEN.\n' });
  });

  it('reads ./hsp.yaml when no file is given, and says so when there is none', async () => {
    const file = await product('Default File App');
    const before = process.cwd();
    try {
      process.chdir(await mkdtemp(join(tmpdir(), 'hsp-publish-empty-')));
      expect(await hsp(['publish', '--no-resolve', '--dry-run'], { env: signedIn() })).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'No manifest here: give its file, or run this where hsp.yaml or marketplace.json is.\n',
      });
      process.chdir(dirname(file));
      const document = json<PlanDocument>(await hsp(['publish', '--no-resolve', '--dry-run', '--json'], { env: signedIn() }));
      expect(document.product.name).toBe('Default File App');
    } finally {
      process.chdir(before);
    }
  });

  it('answers bad input with one sentence and a non-zero exit code', async () => {
    const file = await product('Bad Input App');
    expect(await hsp(['publish', '--no-resolve', file, '--concurrency', 'lots'], { env: signedIn() })).toMatchObject({ code: 2, stderr: '--concurrency must be a whole number from 1 to 64, got "lots".\n' });
    const broken = join(await mkdtemp(join(tmpdir(), 'hsp-publish-bad-')), 'hsp.yaml');
    await writeFile(broken, 'product:\n  name: Broken\nbuild:\n  version: [1, 0]\n  configurations:\n    - name: default\n      tasks: [{ name: web }]\n');
    const run = await hsp(['publish', '--no-resolve', broken], { env: signedIn() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: error: .*build\\.version.*\\n$`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const missing = await hsp(['publish', '--no-resolve', join(tmpdir(), 'no-such-dir', 'hsp.yaml')], { env: signedIn() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/hsp\.yaml: error: cannot read the manifest: no such file\.\n$/);
  });
});
