/**
 * An unusable --data-dir ends `hsp serve` at once with one sentence naming the folder and what
 * is wrong, exit 1, and nothing made: a path in /proc (where Node's own `mkdir -p` spun a CPU
 * forever), a file, a path through a file, a folder this user may not write in, a read-only
 * file system. PGlite only: PostgreSQL has no data folder.
 *
 * The built bin/hsp in child processes. "May not write" needs a user other than root (the
 * tests run one as "nobody" when they run as root); "read-only" needs a read-only mount (made
 * in a private mount namespace with `unshare`, where the kernel allows it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, spawnHsp, type HspExit } from '../../helpers/hsp-process.js';
import { expectOneSentence, msUntilExit } from '../../helpers/serve-start.js';
import { asRoot, onlyIf, onPGlite } from '../../helpers/skips.js';

/** A failing start takes the time to load the command and check the folder: well under this, even on a busy machine. */
const AT_ONCE_MS = 15_000;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hsp-serve-data-folder-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function serveOn(dataDir: string, options: Parameters<typeof spawnHsp>[1] = {}) {
  const server = spawnHsp(['serve', '--data-dir', dataDir, '--port', '0'], options);
  const { run, ms } = await msUntilExit(server);
  expect(run.code, run.stderr).toBe(1);
  expect(ms).toBeLessThan(AT_ONCE_MS);
  return expectOneSentence(run);
}

/** Whether this machine lets an ordinary process mount a file system in a namespace of its own. */
const canMountPrivately = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'mount', '-t', 'tmpfs', 'tmpfs', tmpdir()], { stdio: 'ignore' }).status === 0;

/**
 * `hsp serve --data-dir <mount>/<name>` with a read-only tmpfs at <mount>, seen by it alone
 * (`unshare -rm`: a user and mount namespace of its own). `prepare` runs in the mount before it
 * is made read-only.
 */
function serveOnReadOnlyMount(mount: string, name: string, prepare = 'true'): Promise<HspExit> {
  const script = `mount -t tmpfs tmpfs "$1" && (cd "$1" && ${prepare}) && mount -o remount,ro "$1" && exec "$2" "$3" serve --data-dir "$1/${name}" --port 0`;
  const child = spawn('unshare', ['-rm', 'sh', '-c', script, 'sh', mount, process.execPath, join(repoRoot, 'bin', 'hsp')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

onPGlite.describe('an unusable data folder', () => {
  onlyIf(process.platform === 'linux', 'needs Linux /proc').it('a path in /proc: one sentence at once (it used to spin a CPU for good)', { timeout: 60_000 }, async () => {
    expect(await serveOn('/proc/hsp-nope')).toBe('Cannot create the data folder /proc/hsp-nope: /proc does not accept new folders; choose another with --data-dir.');
    expect(await serveOn('/proc/hsp-nope/deeper')).toBe(
      'Cannot create the data folder /proc/hsp-nope/deeper: /proc does not accept new folders; choose another with --data-dir.',
    );
  });

  it('a file, or a path through a file', async () => {
    const file = join(tmp, 'a-file');
    await writeFile(file, 'not a folder');
    expect(await serveOn(file)).toBe(`The data folder ${file} is not a folder; choose another with --data-dir.`);
    expect(await serveOn(join(file, 'marketplace'))).toBe(
      `Cannot create the data folder ${join(file, 'marketplace')}: a part of the path is a file, not a folder; choose another with --data-dir.`,
    );
  }, 60_000);

  asRoot.it('a folder this user may not write in (run as "nobody"): one sentence, nothing made', { timeout: 60_000 }, async () => {
    const parent = join(tmp, 'roots-only');
    await mkdir(parent);
    await chmod(tmp, 0o755);
    await chmod(parent, 0o755);
    const home = join(tmp, 'nobody-home');
    await mkdir(home);
    await chown(home, 65534, 65534);
    const dataDir = join(parent, 'marketplace');
    expect(await serveOn(dataDir, { uid: 65534, gid: 65534, env: { HOME: home } })).toBe(
      `Cannot create the data folder ${dataDir}: permission denied; choose another with --data-dir.`,
    );
    expect(existsSync(dataDir)).toBe(false);
    // A folder it cannot even look into.
    await chmod(parent, 0o700);
    expect(await serveOn(join(dataDir, 'deeper'), { uid: 65534, gid: 65534, env: { HOME: home } })).toBe(
      `Cannot create the data folder ${join(dataDir, 'deeper')}: permission denied; choose another with --data-dir.`,
    );
    expect(await readdir(parent)).toEqual([]);
  });

  onlyIf(canMountPrivately, 'needs Linux with unprivileged mount namespaces (unshare -rm) for a read-only file system').describe('a read-only file system', () => {
    it('a new folder there: cannot be made', async () => {
      const mount = await mkdtemp(join(tmp, 'ro-'));
      const run = await serveOnReadOnlyMount(mount, 'marketplace');
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(`Cannot create the data folder ${mount}/marketplace: the file system is read-only; choose another with --data-dir.`);
    }, 60_000);

    it('an existing private folder there: the lock cannot be written', async () => {
      const mount = await mkdtemp(join(tmp, 'ro-'));
      const run = await serveOnReadOnlyMount(mount, 'marketplace', 'mkdir -m 700 marketplace');
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(
        `Cannot write server.lock in the data folder ${mount}/marketplace: the file system is read-only; choose another folder with --data-dir.`,
      );
    }, 60_000);
  });
});
