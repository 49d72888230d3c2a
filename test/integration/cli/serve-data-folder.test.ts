/**
 * `hsp serve --data-dir` as users run it (the built bin/hsp in child processes): a second
 * server on a folder in use is refused with a sentence naming the first one's PID and
 * command; files the database writes while serving are private (the command's umask); a
 * server killed with SIGKILL leaves a lock the next start takes over; after `hsp logout`
 * the next start writes a fresh administrator token and says so; a folder of another user is
 * refused. PGlite only: PostgreSQL has no data folder.
 */
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnHsp, type HspExit, type HspProcess } from '../../helpers/hsp-process.js';
import { asRoot, onPGlite } from '../../helpers/skips.js';

async function readableByOthers(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined); // PGlite's temporary files come and go
    if (!info || info.isSymbolicLink()) continue;
    if (info.mode & 0o077) found.push(`${path} ${(info.mode & 0o7777).toString(8)}`);
    if (info.isDirectory()) found.push(...(await readableByOthers(path)));
  }
  return found;
}

function expectOneSentence(run: HspExit): void {
  expect(run.code).toBe(1);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at .+:\d+/m);
  expect(run.stdout).not.toMatch(/listening/);
}

onPGlite.describe('hsp serve --data-dir', () => {
  let tmp: string;
  const started: HspProcess[] = [];
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-serve-data-folder-'));
  });
  afterAll(async () => {
    for (const server of started) server.child.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  });

  /** Starts `hsp serve` on the folder; resolves to its URL once it listens. */
  async function serve(dataDir: string) {
    const server = spawnHsp(['serve', '--data-dir', dataDir, '--port', '0']);
    started.push(server);
    const [, url] = await server.waitFor(/^Marketplace listening at (http:\/\/127\.0\.0\.1:\d+)\b/m);
    return { ...server, url: url! };
  }

  it('one folder, one server: a second is refused naming the first; a SIGKILLed server does not block the next; a logout is recovered', async () => {
    const dataDir = join(tmp, 'mp2');
    const first = await serve(dataDir);
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/products`, { method: 'POST', headers, body: JSON.stringify({ product: { name: 'Kept', description: 'one writer' } }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const second = await spawnHsp(['serve', '--data-dir', dataDir, '--port', '0']).exited;
    expectOneSentence(second);
    expect(second.stderr).toMatch(
      new RegExp(
        `^The data folder ${dataDir} is in use by another Marketplace server \\(process ${first.child.pid}, hsp serve --data-dir ${dataDir} --port 0, started \\S+Z\\); stop it first, or choose another folder with --data-dir\\.\\n$`,
      ),
    );
    // Private while serving, and so is every file the database makes later: hsp serve's umask
    // (process-wide, so it covers the database's worker thread too).
    expect(await readableByOthers(dataDir)).toEqual([]);
    if (process.platform === 'linux') expect(await readFile(`/proc/${first.child.pid}/status`, 'utf8')).toMatch(/^Umask:\s+0077$/m);

    // A crash: the lock stays behind, and the next start takes it over.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(JSON.parse(await readFile(join(dataDir, 'server.lock'), 'utf8'))).toMatchObject({ pid: first.child.pid });
    const restarted = await serve(dataDir);
    expect(restarted.output().stdout).not.toMatch(/token/);
    const kept = await fetch(`${restarted.url}/products/${id}`, { headers });
    expect(kept.status).toBe(200);

    // `hsp logout` with the only administrator token, then a restart: a new one, and a line saying so.
    expect((await fetch(`${restarted.url}/sessions`, { method: 'DELETE', headers })).status).toBe(200);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toMatchObject({ code: 0, stderr: '' });
    const recovered = await serve(dataDir);
    await recovered.waitFor(/^Sign in with: /m);
    expect(recovered.output().stdout).toContain(
      'The stored administrator token had been revoked (signed out): a new one was written.\n' + `Administrator token written to ${join(dataDir, 'admin.token')}\n`,
    );
    const fresh = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    expect((await fetch(`${recovered.url}/products/${id}`, { headers: { ...headers, authorization: `Bearer ${fresh}` } })).status).toBe(200);
    recovered.child.kill('SIGTERM');
    expect(await recovered.exited).toMatchObject({ code: 0 });
    expect(await readdir(dataDir)).not.toContain('server.lock');
  }, 180_000);

  asRoot.it('a folder that belongs to another user is refused with a sentence', async () => {
    // Run as "nobody" against a folder of root's: the folder's parent may be entered, not written.
    const parent = join(tmp, 'shared-parent');
    await mkdir(join(parent, 'roots-marketplace'), { recursive: true });
    await chmod(tmp, 0o755);
    await chmod(parent, 0o755);
    await chmod(join(parent, 'roots-marketplace'), 0o755);
    const home = join(tmp, 'nobody-home');
    await mkdir(home);
    await chown(home, 65534, 65534);
    const run = await spawnHsp(['serve', '--data-dir', join(parent, 'roots-marketplace'), '--port', '0'], { uid: 65534, gid: 65534, env: { HOME: home } }).exited;
    expectOneSentence(run);
    expect(run.stderr).toBe(
      `The data folder ${join(parent, 'roots-marketplace')} belongs to another user (uid 0); run hsp serve as that user, or choose another folder with --data-dir.\n`,
    );
  }, 60_000);
});
