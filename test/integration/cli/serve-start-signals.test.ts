/**
 * `hsp serve` stops at any moment of its start: SIGTERM or the first Ctrl+C (SIGINT) while it
 * opens its data folder, loads the embedded database, waits for PostgreSQL, migrates or opens
 * its port ends it within moments, exit code 143 or 130 as a shell reports them, with one
 * sentence and nothing left behind (no lock, no temporary folder, no half-made database, no
 * connection). Once it listens, the same signals close it gracefully and it exits 0.
 *
 * The built bin/hsp in child processes; NODE_DEBUG=hsp makes it name each step of its start,
 * which is when a test sends its signal. On PGlite, and on a real PostgreSQL server in the
 * integration-postgres project; a database that never answers is a silent TCP listener.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnHsp, type HspProcess } from '../../helpers/hsp-process.js';
import { scratchDatabase } from '../../helpers/marketplace.js';
import { expectOneSentence, msUntilExit, silentDatabase, TRACE_START, userStderr, waitForStep } from '../../helpers/serve-start.js';
import { onceOnPGlite, onPGlite, onPostgres } from '../../helpers/skips.js';

/**
 * How long an interrupted start may take to end, from the signal: closing what it opened takes
 * milliseconds; this leaves room for a busy machine. A start that waited for its step to end
 * would take longer (loading PGlite: over a second) or forever (a silent database).
 */
const PROMPTLY_MS = 5_000;

const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;

const STEPS = ['opening the data folder', 'opening the database', 'migrating the database', 'building the service', 'writing the administrator token', 'opening the port'];

const started: HspProcess[] = [];
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hsp-serve-signals-'));
});
afterAll(async () => {
  for (const server of started) server.child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

/** `hsp serve …` with its own temporary folder (TMPDIR: where --memory keeps its database and token). */
async function serve(args: string[]) {
  const scratch = await mkdtemp(join(tmp, 'run-'));
  const server = spawnHsp(['serve', ...args], { env: { ...TRACE_START, TMPDIR: scratch } });
  started.push(server);
  return { server, scratch };
}

/** Sends `signal` once the start reaches `step`; resolves to how the process ended and how long that took. */
async function stopAt(server: HspProcess, step: string, signal: 'SIGINT' | 'SIGTERM') {
  await waitForStep(server, new RegExp(`start: ${step}`));
  server.child.kill(signal);
  return msUntilExit(server);
}


/** A start stopped before it listened: the shell's code for the signal and one sentence; else it served and closed, exit 0. */
function expectStoppedOrClosed(run: Awaited<ReturnType<typeof stopAt>>['run'], signal: 'SIGINT' | 'SIGTERM') {
  if (/Marketplace listening/.test(run.stdout)) {
    expect(run.code, run.stderr).toBe(0);
  } else {
    expect(run.code, run.stderr).toBe(EXIT_CODE[signal]);
    expect(expectOneSentence(run)).toBe(`Stopped by ${signal} while starting; the server did not start, and nothing it had opened was left behind.`);
  }
}

onPGlite.describe('a signal while hsp serve starts, on PGlite', () => {
  it('SIGTERM while PGlite loads (--memory): exit 143 within moments, one sentence, its temporary folders gone', async () => {
    const { server, scratch } = await serve(['--memory', '--port', '0']);
    const { run, ms } = await stopAt(server, 'opening the database', 'SIGTERM');
    expect(run.code, run.stderr).toBe(143);
    expectOneSentence(run);
    expect(ms).toBeLessThan(PROMPTLY_MS);
    expect(await readdir(scratch)).toEqual([]);
  }, 60_000);

  it('the first Ctrl+C while a new data folder is made: exit 130, and the folder is gone again', async () => {
    const dataDir = join(tmp, 'new-marketplace');
    const { server } = await serve(['--data-dir', dataDir, '--port', '0']);
    const { run, ms } = await stopAt(server, 'opening the database', 'SIGINT');
    expect(run.code, run.stderr).toBe(130);
    expect(expectOneSentence(run)).toMatch(/^Stopped by SIGINT while starting/);
    expect(ms).toBeLessThan(PROMPTLY_MS);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('SIGTERM while an existing data folder opens: exit 143, the lock released, the marketplace intact for the next start', async () => {
    const dataDir = join(tmp, 'kept-marketplace');
    const first = await serve(['--data-dir', dataDir, '--port', '0']);
    await first.server.waitFor(/^Marketplace listening at /m);
    first.server.child.kill('SIGTERM');
    expect((await first.server.exited).code).toBe(0);
    const token = await readFile(join(dataDir, 'admin.token'), 'utf8');

    const stopped = await serve(['--data-dir', dataDir, '--port', '0']);
    const { run, ms } = await stopAt(stopped.server, 'opening the database', 'SIGTERM');
    expect(run.code, run.stderr).toBe(143);
    expectOneSentence(run);
    expect(ms).toBeLessThan(PROMPTLY_MS);
    expect((await readdir(dataDir)).sort()).toEqual(['admin.token', 'pgdata']);

    const again = await serve(['--data-dir', dataDir, '--port', '0']);
    const [, url] = await again.server.waitFor(/^Marketplace listening at (\S+) /m);
    const status = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token.trim()}` } });
    expect(status.status).toBe(200);
    again.server.child.kill('SIGTERM');
    expect((await again.server.exited).code).toBe(0);
  }, 120_000);

  for (const [i, step] of STEPS.entries()) {
    const signal = i % 2 ? 'SIGINT' : 'SIGTERM';
    it(`${signal} at "${step}": stopped (${EXIT_CODE[signal]}, one sentence) unless it was already listening (then closed, 0); nothing left behind`, async () => {
      const { server, scratch } = await serve(['--memory', '--port', '0']);
      const { run, ms } = await stopAt(server, step, signal);
      expectStoppedOrClosed(run, signal);
      expect(ms).toBeLessThan(PROMPTLY_MS);
      expect(await readdir(scratch)).toEqual([]);
    }, 60_000);
  }

  it('after the start, SIGINT closes the server gracefully: exit 0, nothing on stderr', async () => {
    const { server, scratch } = await serve(['--memory', '--port', '0']);
    await server.waitFor(/^Marketplace listening at /m);
    server.child.kill('SIGINT');
    const run = await server.exited;
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(userStderr(run).trim()).toBe('');
    expect(await readdir(scratch)).toEqual([]);
  }, 60_000);
});

onceOnPGlite.describe('a signal while hsp serve waits for a PostgreSQL server that never answers', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: stopped within moments, its connection dropped', async (signal) => {
    const database = await silentDatabase();
    try {
      const { server } = await serve(['--database-url', `postgres://hsp:secret@127.0.0.1:${database.port}/hsp`, '--port', '0', '--connect-timeout', '10m']);
      await waitForStep(server, /start: opening the database/);
      // Connected (TCP), waiting for an answer that will not come.
      await expect.poll(() => database.connections(), { timeout: 10_000 }).toBe(1);
      server.child.kill(signal);
      const { run, ms } = await msUntilExit(server);
      expect(run.code, run.stderr).toBe(EXIT_CODE[signal]);
      expectOneSentence(run);
      expect(run.stderr).not.toContain('secret');
      expect(ms).toBeLessThan(PROMPTLY_MS);
      await expect.poll(() => database.connections()).toBe(0);
    } finally {
      await database.close();
    }
  }, 60_000);
});

onPostgres.describe('a signal while hsp serve starts, on PostgreSQL', () => {
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  beforeAll(async () => {
    ({ databaseUrl, dropDatabase } = await scratchDatabase(process.env.HSP_TEST_DATABASE_URL!));
  });
  afterAll(async () => {
    await dropDatabase?.();
  });

  // The steps after the database is open hold its connections (the event stream's LISTEN one
  // among them): a stop must release them all, or the process cannot end.
  for (const [i, step] of STEPS.slice(1).entries()) {
    const signal = i % 2 ? 'SIGINT' : 'SIGTERM';
    it(`${signal} at "${step}": stopped (${EXIT_CODE[signal]}) unless it was already listening (then closed, 0), within moments`, async () => {
      const { server } = await serve(['--database-url', databaseUrl, '--port', '0']);
      const { run, ms } = await stopAt(server, step, signal);
      expectStoppedOrClosed(run, signal);
      expect(ms).toBeLessThan(PROMPTLY_MS);
    }, 60_000);
  }

  it('after the start, SIGINT closes the server gracefully: exit 0', async () => {
    const { server } = await serve(['--database-url', databaseUrl, '--port', '0']);
    await server.waitFor(/^Marketplace listening at /m);
    server.child.kill('SIGINT');
    expect(await server.exited).toMatchObject({ code: 0, signal: null });
  }, 60_000);
});
