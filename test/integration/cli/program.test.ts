import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Group, Status } from '../../../src/index.js';
import { VERSION } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { ANSI, json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
const dir = mkdtempSync(join(tmpdir(), 'hsp-cli-program-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hsp status', () => {
  it('shows health, the signed-in user and permissions', async () => {
    const terminal = ok(await hsp(['status', '--no-color'], { env: env(), tty: true }));
    expect(terminal.stdout).toMatch(new RegExp(`^marketplace +${m.url.replace(/[.]/g, '\\.')}\n`));
    expect(terminal.stdout).toMatch(/\nhealth +This application server and underlying database connection appear to be healthy\.\n/);
    expect(terminal.stdout).toMatch(/\nsigned in as +Administrator \([0-9a-f-]{36}\)\n/);
    expect(terminal.stdout).toMatch(/\npermissions +everything\.manage\n$/);

    const status = json<Status>(await hsp(['status', '--json'], { env: env() }));
    expect(status.identity?.user.name).toBe('Administrator');
    expect(status.permissions?.everything?.manage).toBe(true);
  });

  it('works anonymously, and fails with exit 4 and a hint for a bad token', async () => {
    const anonymous = ok(await hsp(['status'], { env: { HSP_URL: m.url } }));
    expect(anonymous.stdout).toContain('signed in as\tnobody: anonymous (run "hsp login" or set HSP_TOKEN)\n');
    expect(anonymous.stdout).not.toContain('permissions');
    const refused = await hsp(['status'], { env: { HSP_URL: m.url, HSP_TOKEN: 'not-a-token' } });
    expect(refused).toMatchObject({
      code: 4,
      stderr: 'GET /status failed with HTTP 401 (authentication is required or was refused): The bearer token is not a JWT.\nSign in with "hsp login", or set HSP_TOKEN.\n',
    });
  });

  it('says which marketplace is unreachable (exit 1, with a hint)', async () => {
    const down = await hsp(['status'], { env: { HSP_URL: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/\nIs the marketplace running\? Check --url \(or HSP_URL\)\.\n$/);
  });
});

describe('hsp api', () => {
  it('GETs with fields as the query and prints the JSON', async () => {
    const page = json<{ results: { name: string }[] }>(await hsp(['api', 'GET', '/licenses', '-f', 'name=MIT'], { env: env() }));
    expect(page.results.map((l) => l.name)).toEqual(['MIT']);
    const pretty = ok(await hsp(['api', 'get', 'licenses?per_page=1'], { env: env(), tty: true }));
    expect(pretty.stdout).toMatch(/^\{\n {2}"total_pages": /);
  });

  it('POSTs fields as a nested JSON body, typed with -F and read from files with @', async () => {
    writeFileSync(join(dir, 'description.txt'), 'From a file');
    const group = json<Group>(await hsp(['api', 'POST', '/groups', '-f', 'group[name]=Radiology', '-F', `group[description]=@${join(dir, 'description.txt')}`], { env: env() }));
    expect(group).toMatchObject({ name: 'Radiology', description: 'From a file' });
    const typed = json<{ total_entries: number }>(await hsp(['api', 'GET', '/groups', '-F', 'per_page=1'], { env: env() }));
    expect(typed.total_entries).toBeGreaterThan(0);
  });

  it('sends --input (a file, or stdin with -) as the body', async () => {
    writeFileSync(join(dir, 'group.json'), JSON.stringify({ group: { name: 'Pathology' } }));
    expect(json<Group>(await hsp(['api', 'POST', '/groups', '--input', join(dir, 'group.json')], { env: env() })).name).toBe('Pathology');
    const fromStdin = json<Group>(await hsp(['api', 'POST', '/groups', '--input', '-'], { env: env(), stdin: '{"group": {"name": "Oncology"}}' }));
    expect(fromStdin.name).toBe('Oncology');
    writeFileSync(join(dir, 'broken.json'), '{"group": ');
    // What a file holds is not the command line: exit 1, as for a manifest that is wrong.
    const broken = await hsp(['api', 'POST', '/groups', '--input', join(dir, 'broken.json')], { env: env() });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^--input \S+broken\.json is not JSON: /);
  });

  it("exits 1 on HTTP errors with the server's body on stdout and its message on stderr", async () => {
    const taken = await hsp(['api', 'POST', '/groups', '-f', 'group[name]=Pathology'], { env: env() });
    expect(taken).toMatchObject({ code: 1, stdout: '{"name":["has already been taken"]}\n', stderr: 'POST /groups failed with HTTP 422 (validation failed): name has already been taken.\n' });
    const missing = await hsp(['api', 'GET', '/groups/00000000-0000-4000-8000-000000000000'], { env: env() });
    expect(missing.code).toBe(1);
    const anonymous = await hsp(['api', 'POST', '/groups', '-f', 'group[name]=X'], { env: { HSP_URL: m.url } });
    expect(anonymous.code).toBe(4);
  });

  it('refuses bad methods, absolute URLs, malformed headers and fields (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['api', 'FETCH', '/status'], '"FETCH" is not an HTTP method: use GET, POST, PUT, PATCH, DELETE, HEAD.\n'],
      [['api', 'GET', 'https://elsewhere.example/status'], 'hsp api takes a path below the marketplace URL, such as /products, got "https://elsewhere.example/status".\n'],
      [['api', 'GET', '/status', '-H', 'X-Trace'], '-H must be "Name: value", got "X-Trace".\n'],
      [['api', 'POST', '/groups', '-f', 'name'], '-f must be KEY=VALUE, got "name".\n'],
      [['api', 'POST', '/groups', '-f', 'a=1', '-f', 'a[b]=2'], 'The field "a[b]" clashes with another field of the same name.\n'],
    ];
    for (const [args, stderr] of cases) expect(await hsp(args, { env: env() })).toMatchObject({ code: 2, stdout: '', stderr });
    // A file that is not there is the world, not the command line: exit 1.
    expect(await hsp(['api', 'POST', '/groups', '-F', 'a=@/no/such/file'], { env: env() })).toMatchObject({ code: 1, stdout: '', stderr: '-F a: cannot read /no/such/file (no such file).\n' });
  });

  it('sends -H headers, which win over its own', async () => {
    const refused = await hsp(['api', 'GET', '/status', '-H', 'Authorization: Bearer not-a-token'], { env: env() });
    expect(refused.code).toBe(4);
    expect(JSON.parse(refused.stdout)).toMatchObject({ message: 'The bearer token is not a JWT.' });
  });
});

describe('scripting', () => {
  it('--debug traces requests on stderr and never shows the token, whatever the command does', async () => {
    const token = m.server.adminToken;
    const runs = [
      await hsp(['status', '--debug'], { env: env() }),
      await hsp(['--debug', 'groups', 'list'], { env: env() }),
      await hsp(['api', 'GET', '/status', '--debug'], { env: env() }),
      await hsp(['groups', 'show', 'No such group', '--debug'], { env: env() }),
      await hsp(['api', 'POST', '/groups', '-f', 'group[name]=Pathology', '--debug'], { env: env() }),
    ];
    expect(runs[0]!.stderr).toMatch(/^> GET http:\/\/127\.0\.0\.1:\d+\/status \(attempt 1\) authorization: Bearer \[REDACTED\]\n< 200 GET /);
    expect(runs[3]!.stderr).toContain('debug: error: FailureError');
    expect(runs[4]!.stderr).toMatch(/debug: request: POST \S+\/groups -> HTTP 422\ndebug: body: \{"name":\["has already been taken"\]\}\n$/);
    for (const run of runs) expect(run.stdout + run.stderr).not.toContain(token);
  });

  it('--json prints one JSON document and nothing on stderr, before or after the command name', async () => {
    for (const args of [
      ['--json', 'groups', 'list'],
      ['groups', 'list', '--json'],
      ['groups', '--json', 'list'],
      ['status', '--json'],
      ['version', '--json'],
      ['groups', 'create', '--name', 'Silent', '--json'],
      ['groups', 'delete', 'Silent', '--yes', '--json'],
    ]) {
      const run = await hsp(args, { env: env(), tty: true });
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    }
  });

  it('pipes get tab-separated fields without colour, terminals aligned colour tables', async () => {
    const piped = ok(await hsp(['licenses', 'list'], { env: env() }));
    expect(piped.stdout).not.toMatch(ANSI);
    expect(piped.stdout.split('\n')[0]!.split('\t')).toHaveLength(4);
    const coloured = ok(await hsp(['licenses', 'list'], { env: env(), tty: true }));
    expect(coloured.stdout).toMatch(ANSI);
    const noColor = ok(await hsp(['licenses', 'list'], { env: { ...env(), NO_COLOR: '1' }, tty: true }));
    expect(noColor.stdout).not.toMatch(ANSI);
  });

  it('bad global values are one sentence and exit 2', async () => {
    const format = await hsp(['groups', 'list', '-o', 'xml'], { env: env() });
    expect(format.code).toBe(2);
    expect(format.stderr).toBe('-o/--output is the output format: table, json or yaml, not "xml".\n');
    const url = await hsp(['groups', 'list', '--url', 'ftp://example.org'], { env: {} });
    expect(url).toMatchObject({ code: 2, stderr: 'The marketplace URL must start with http:// or https://, got "ftp://example.org".\n' });
  });
});

describe('hsp version', () => {
  it('prints the version of hsp and Node.js; --version prints the version alone', async () => {
    const version = ok(await hsp(['version'], {}));
    expect(version.stdout).toBe(`hsp ${VERSION}\nnode ${process.version} (${process.platform}-${process.arch})\n`);
    expect(json(await hsp(['version', '--json'], {}))).toEqual({ hsp: VERSION, node: process.version, platform: `${process.platform}-${process.arch}` });
    expect(await hsp(['--version'], {})).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });
});
