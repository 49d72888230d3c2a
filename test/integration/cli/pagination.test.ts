import { beforeAll, describe, expect, it } from 'vitest';
import type { Group } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { ANSI, json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
/** More than a page of the largest size (100), so --all and large limits take two pages. */
const COUNT = 130;
const names = Array.from({ length: COUNT }, (_, i) => `group-${String(i).padStart(3, '0')}`);
const pageRequests = (stderr: string) => stderr.split('\n').filter((line) => /^> GET \S+\/groups\?/.test(line));

beforeAll(async () => {
  for (let i = 0; i < COUNT; i += 10) await Promise.all(names.slice(i, i + 10).map((name) => m.admin.groups.create({ name })));
}, 60_000);

describe('list paging', () => {
  it('--limit stops after the items it needs, fetching a second page only then', async () => {
    const one = await hsp(['groups', 'list', '--limit', '5', '--json', '--debug'], { env: env() });
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as Group[]).map((g) => g.name)).toEqual(names.slice(0, 5));
    expect(pageRequests(one.stderr)).toHaveLength(1);
    expect(pageRequests(one.stderr)[0]).toContain('per_page=5');

    const two = await hsp(['groups', 'list', '--limit', '120', '--json', '--debug'], { env: env() });
    expect((JSON.parse(two.stdout) as Group[]).map((g) => g.name)).toEqual(names.slice(0, 120));
    // The first request names no page (the server's default is the first).
    expect(pageRequests(two.stderr).map((line) => /[?&]page=(\d+)/.exec(line)?.[1] ?? '1')).toEqual(['1', '2']);
  });

  it('--all fetches every page', async () => {
    const all = json<Group[]>(await hsp(['groups', 'list', '--all', '--json'], { env: env() }));
    expect(all.map((g) => g.name)).toEqual(names);
    const yaml = ok(await hsp(['groups', 'list', '--all', '-o', 'yaml'], { env: env() }));
    expect(yaml.stdout.match(/^- id: /gm)).toHaveLength(COUNT);
  });

  it('summarises on stderr ("Showing 30 of 130"), with no colour or progress in a pipe', async () => {
    const piped = ok(await hsp(['groups', 'list'], { env: env() }));
    expect(piped.stdout.trimEnd().split('\n')).toHaveLength(30);
    expect(piped.stderr).toBe(`Showing 30 of ${COUNT} groups\n`);
    const many = ok(await hsp(['groups', 'list', '--limit', '120'], { env: env() }));
    expect(many.stderr).toBe(`Showing 120 of ${COUNT} groups\n`);
    expect(many.stdout + many.stderr).not.toMatch(ANSI);
    expect(many.stdout.split('\n')[0]).toMatch(/^[0-9a-f-]{36}\tgroup-000\t\t/);
  });

  it('shows progress on a terminal while it fetches more pages, and clears it', async () => {
    const terminal = ok(await hsp(['groups', 'list', '--all'], { env: env(), tty: true }));
    expect(terminal.stderr).toBe(`\r\x1b[2KFetched 100 of ${COUNT} groups…\r\x1b[2K${COUNT} groups\n`);
    expect(terminal.stdout.startsWith('\x1b[1mID\x1b[22m')).toBe(true);
    const quiet = await hsp(['groups', 'list', '--all', '--json'], { env: env(), tty: true });
    expect(quiet.stderr).toBe('');
  });

  it('refuses a limit that is not a positive number', async () => {
    for (const limit of ['0', 'ten', '-3']) {
      const run = await hsp(['groups', 'list', '--limit', limit], { env: env() });
      expect(run).toMatchObject({ code: 2, stderr: `--limit must be a positive number, got "${limit}".\n` });
    }
  });
});
