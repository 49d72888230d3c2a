/**
 * `hsp serve` as users run it: the built bin/hsp in a child process (`npm test` builds dist/
 * before vitest runs). On PGlite in memory, and in the integration-postgres project on a
 * scratch database through --database-url. Bad input must end in one sentence on stderr and a
 * non-zero exit code (2 for usage errors), never a stack trace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, spawnHsp, type HspExit } from '../../helpers/hsp-process.js';
import { scratchDatabase } from '../../helpers/marketplace.js';
import { onPGlite, onPostgres } from '../../helpers/skips.js';

const postgresUrl = process.env.HSP_TEST_DATABASE_URL;

/** Starts a server, checks what it prints and that its token works, stops it with SIGTERM. */
async function serveAndStop(args: string[], extraEnv: Record<string, string> = {}) {
  const server = spawnHsp(['serve', ...args, '--port', '0'], { env: extraEnv });
  try {
    const [, url] = await server.waitFor(/^Marketplace listening at (http:\/\/127\.0\.0\.1:\d+)\b.*$/m);
    const [, tokenFile] = await server.waitFor(/^Administrator token written to (.+)$/m);
    const token = (await readFile(tokenFile!, 'utf8')).trim();

    const response = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const status = (await response.json()) as { jwt?: { id?: string }; identity?: { user?: { name?: string } }; permissions?: unknown };
    expect(status.identity?.user?.name).toBe('Administrator');
    expect(status.jwt?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(status.permissions).toBeDefined();

    server.child.kill('SIGTERM');
    const run = await server.exited;
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    // The token of a server without a data directory was in a temporary directory: gone now.
    expect(existsSync(dirname(tokenFile!))).toBe(false);
    return run;
  } finally {
    server.child.kill('SIGKILL');
  }
}

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A failed start: exactly one line on stderr, no stack trace, nothing served. */
function expectOneSentence(run: HspExit) {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^[A-Z-].*[.!?)]$/);
  expect(run.stderr).not.toMatch(/^\s+at .+:\d+/m);
  expect(run.stdout).not.toMatch(/listening/);
}

onPGlite.describe('hsp serve on PGlite', () => {
  it('--memory --port 0 prints its URL and token file; the token works; SIGTERM exits 0 and removes the token', async () => {
    // The flag wins over DATABASE_URL in the environment (which would fail: nothing listens there).
    const run = await serveAndStop(['--memory'], { DATABASE_URL: `postgres://hsp@127.0.0.1:${await closedPort()}/hsp` });
    expect(run.stdout).toMatch(/\(data: an in-memory database\)/);
  }, 60_000);

  it.each([
    { args: ['--port', 'abc'], code: 2, says: /port/i },
    { args: ['--memory', '--data-dir', 'x'], code: 2, says: /--memory cannot be combined/ },
    { args: ['--database-url', 'mysql://x'], code: 2, says: /postgres:\/\// },
    { args: ['--nonsense'], code: 2, says: /Unknown option/ },
  ])('$args → exit $code with one sentence', async ({ args, code, says }) => {
    const run = await spawnHsp(['serve', ...args]).exited;
    expect(run.code).toBe(code);
    expectOneSentence(run);
    expect(run.stderr).toMatch(says);
  });

  it('an unreachable PostgreSQL server → exit 1 with one sentence naming it', async () => {
    const port = await closedPort();
    const run = await spawnHsp(['serve', '--database-url', `postgres://hsp:secret@127.0.0.1:${port}/hsp`, '--port', '0']).exited;
    expect(run.code).toBe(1);
    expectOneSentence(run);
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
    expect(run.stderr).not.toContain('secret');
  }, 30_000);

  it('a port in use → exit 1 with one sentence naming it', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const run = await spawnHsp(['serve', '--memory', '--port', String(port)]).exited;
      expect(run.code).toBe(1);
      expectOneSentence(run);
      expect(run.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('--version and --help work without loading the server (no fastify, no PGlite)', async () => {
    const version = await spawnHsp(['--version']).exited;
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    const help = await spawnHsp(['serve', '--help']).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--database-url');

    // What --help pays for: dist/cli/main.js and the command tree it loads (the modules it
    // imports dynamically), with everything those import statically. The commands' own modules
    // are imported dynamically by the tree, only when they run, so they are not counted.
    const main = join(repoRoot, 'dist', 'cli', 'main.js');
    const tree = [...readFileSync(main, 'utf8').matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g)].map(([, path]) => join(dirname(main), path!));
    const seen = new Set<string>();
    const packages = [main, ...tree].flatMap((file) => staticImports(file, seen));
    expect(packages).not.toContain('fastify');
    expect(packages).not.toContain('@electric-sql/pglite');
    expect(packages).not.toContain('pg');
  });
});

onPostgres.describe('hsp serve on PostgreSQL', () => {
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  beforeAll(async () => {
    ({ databaseUrl, dropDatabase } = await scratchDatabase(postgresUrl!));
  });
  afterAll(async () => {
    await dropDatabase?.();
  });

  it('--database-url prints its URL and token file; the token works; SIGTERM exits 0', async () => {
    const run = await serveAndStop(['--database-url', databaseUrl]);
    expect(run.stdout).toMatch(/\(data: PostgreSQL at postgres:\/\/.*\)/);
    // The password is not printed.
    const password = new URL(databaseUrl).password;
    if (password) expect(run.stdout).not.toContain(password);
  }, 60_000);
});

/** Package names imported (statically, transitively through relative files) by a built module. */
function staticImports(file: string, seen = new Set<string>(), packages = new Set<string>()): string[] {
  if (seen.has(file)) return [...packages];
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s+(?:[^'"`;]*?\s+from\s+)?["']([^"']+)["']/gm)) {
    if (specifier!.startsWith('.')) staticImports(join(dirname(file), specifier!), seen, packages);
    else if (!specifier!.startsWith('node:')) packages.add(specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!);
  }
  return [...packages];
}
