/**
 * The package as a user installs it. The repository's files are copied without dist/ or
 * node_modules/, as a fresh clone has them, and packed: `npm pack` must build dist/ itself. The
 * tarball is installed with `npm install -g` into an empty prefix: no lockfile, so npm resolves
 * every dependency from the registry as a user's install does today, on this Node. Then the
 * installed `hsp` runs --version, `serve --memory` and `demo`. Nothing may warn on the way.
 *
 * Needs the npm registry (npm's cache makes repeats fast), and takes a build and an install.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { list } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`); never rejects on a non-zero exit. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const shown = (ran: Ran) => `exit ${ran.code ?? ran.signal}\n--- stdout\n${ran.stdout}--- stderr\n${ran.stderr}`;

/**
 * npm as a user's shell runs it: without the npm_* variables an `npm test` run passes down
 * (npm_config_local_prefix and the like would redirect it), but with the same cache and registry.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|registry|userconfig)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || keep.test(name)));
}

/** The files a fresh clone has: tracked ones, and new ones not ignored (not yet committed). */
async function copyOfClone(to: string): Promise<void> {
  const ls = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, env: process.env, timeoutMs: 30_000 });
  if (ls.code !== 0) throw new Error(`git ls-files failed:\n${shown(ls)}`);
  for (const file of new Set(ls.stdout.split('\0').filter(Boolean))) {
    const from = join(repoRoot, file);
    if (!existsSync(from) || !lstatSync(from).isFile()) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(from, join(to, file));
  }
  // The dependencies a `npm ci` would install: the repository's own, to save the time.
  symlinkSync(join(repoRoot, 'node_modules'), join(to, 'node_modules'));
}

function tarballEntries(file: string): string[] {
  const entries: string[] = [];
  list({ file, sync: true, onReadEntry: (entry) => entries.push(entry.path.replace(/^package\//, '')) });
  return entries;
}

describe('the packed package, installed from the registry with no lockfile', () => {
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'hsp-install-')));
  const clone = join(scratch, 'clone');
  const prefix = join(scratch, 'prefix');
  const home = join(scratch, 'home');
  const installed = join(prefix, 'lib', 'node_modules', pkg.name);
  const hspBin = join(prefix, 'bin', 'hsp');
  let tarball = '';
  let distBeforePacking = true;
  let packing: Ran;
  let installing: Ran;

  /** A user's shell: the installed bin on PATH, a home of its own (no keychain, config or snapshot cache of the machine's). */
  const userEnv: NodeJS.ProcessEnv = {
    PATH: [join(prefix, 'bin'), dirname(process.execPath), process.env.PATH].join(delimiter),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    TMPDIR: scratch,
    HSP_NO_KEYRING: '1',
  };

  beforeAll(async () => {
    mkdirSync(clone);
    mkdirSync(home);
    await copyOfClone(clone);
    distBeforePacking = existsSync(join(clone, 'dist'));
    const packed = join(scratch, 'packed');
    mkdirSync(packed);
    packing = await run('npm', ['pack', '--pack-destination', packed], { cwd: clone, env: npmEnv(), timeoutMs: 240_000 });
    if (packing.code !== 0) throw new Error(`npm pack failed:\n${shown(packing)}`);
    tarball = join(packed, readdirSync(packed).find((name) => name.endsWith('.tgz'))!);
    installing = await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--no-update-notifier', tarball], {
      cwd: scratch,
      env: npmEnv(),
      timeoutMs: 240_000,
    });
  }, 480_000);

  // The installed prefix holds some 180 packages: removing them takes a while on a busy machine.
  afterAll(() => rm(scratch, { recursive: true, force: true }), 120_000);

  it('npm pack builds dist/ in a clone that has none, and ships only what a user needs', () => {
    expect(distBeforePacking).toBe(false);
    expect(`${packing.stdout}${packing.stderr}`).not.toMatch(/npm warn/i);
    const entries = tarballEntries(tarball);
    expect(entries).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'bin/hsp', 'dist/cli/main.js', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/server/index.js', 'dist/pglite-worker.js', 'dist/pglite-snapshot.tar.gz', 'dist/pglite-snapshot.json']));
    // `hsp demo` publishes the examples and runs the agent's stand-in container from them.
    expect(entries).toEqual(expect.arrayContaining(['examples/agent/stand-in-container.mjs', 'examples/smart-app/hsp.yaml']));
    const unexpected = entries.filter((entry) => !/^(package\.json|README\.md|LICENSE|bin\/hsp|dist\/|examples\/)/.test(entry) || entry.endsWith('.map'));
    expect(unexpected).toEqual([]);
  });

  it('installs on this Node with no warning at all (engines, deprecations, scripts)', () => {
    expect(installing.code, shown(installing)).toBe(0);
    expect(installing.stdout).toMatch(/^added \d+ packages? in /m);
    expect(`${installing.stdout}${installing.stderr}`).not.toMatch(/warn|EBADENGINE|deprecated/i);
    expect(installing.stderr).toBe('');
  });

  it('ships the PGlite snapshot of the PGlite it installs', () => {
    const shipped = JSON.parse(readFileSync(join(installed, 'dist', 'pglite-snapshot.json'), 'utf8')) as { pglite: string };
    const pglite = JSON.parse(readFileSync(join(installed, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
    expect(shipped.pglite).toBe(pglite.version);
  });

  it('hsp --version', async () => {
    const ran = await run(hspBin, ['--version'], { cwd: home, env: userEnv, timeoutMs: 20_000 });
    expect(ran, shown(ran)).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('hsp serve --memory answers GET /status from the shipped snapshot, and exits 0 on SIGTERM', async () => {
    // NODE_DEBUG=hsp: the start's diagnostics, among them a shipped snapshot left unused.
    const child = spawn(hspBin, ['serve', '--memory', '--port', '0'], { cwd: home, env: { ...userEnv, NODE_DEBUG: 'hsp' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      let url: string | undefined;
      while (!(url = /listening at (http:\/\/\S+)/.exec(stdout)?.[1])) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`hsp serve ended before listening:\n${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const status = await fetch(`${url}/status`);
      expect(status.status).toBe(200);
      expect(((await status.json()) as { database?: unknown }).database).toBeDefined();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, `${stdout}${stderr}`).toEqual({ code: 0, signal: null });
    expect(stderr.split('\n').filter((line) => line && !/^HSP \d+: /.test(line))).toEqual([]);
    expect(stderr).not.toMatch(/snapshot/i);
    // Started from dist/'s snapshot: a start without one makes a snapshot and caches it.
    expect(existsSync(join(userEnv.XDG_CACHE_HOME!, 'hsp')) ? readdirSync(join(userEnv.XDG_CACHE_HOME!, 'hsp')).filter((name) => name.startsWith('pglite-')) : []).toEqual([]);
  }, 60_000);

  it('hsp demo verifies every step', async () => {
    const ran = await run(hspBin, ['demo'], { cwd: home, env: userEnv, timeoutMs: 120_000 });
    expect(ran.code, shown(ran)).toBe(0);
    expect(ran.stdout).toMatch(/^All \d+ steps verified/m);
    expect(ran.stdout).not.toMatch(/^✗/m);
    // stderr has the hint on what to try next, and nothing else.
    expect(ran.stderr.split('\n').filter((line) => line && !line.startsWith('Next: '))).toEqual([]);
  }, 120_000);
});

describe('bin/hsp in a clone that is not built', () => {
  // Real path: bin/hsp names the folder it really is in.
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'hsp-unbuilt-')));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const unbuilt = (name: string, extra: (dir: string) => void) => {
    const dir = join(scratch, name);
    cpSync(join(repoRoot, 'bin'), join(dir, 'bin'), { recursive: true });
    copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
    extra(dir);
    return run(process.execPath, [join(dir, 'bin', 'hsp'), '--version'], { cwd: dir, env: { PATH: process.env.PATH }, timeoutMs: 20_000 }).then((ran) => ({ dir, ran }));
  };

  it('says in one sentence to build, and exits 1', async () => {
    const { dir, ran } = await unbuilt('dependencies-installed', (d) => mkdirSync(join(d, 'node_modules')));
    expect(ran).toEqual({ code: 1, signal: null, stdout: '', stderr: `hsp is not built yet: run \`npm run build\` in ${dir}.\n` });
  });

  it('says to install the dependencies first when a fresh clone has none', async () => {
    const { dir, ran } = await unbuilt('fresh', (d) => copyFileSync(join(repoRoot, 'package-lock.json'), join(d, 'package-lock.json')));
    expect(ran).toEqual({ code: 1, signal: null, stdout: '', stderr: `hsp is not built yet: run \`npm ci && npm run build\` in ${dir}.\n` });
  });
});
