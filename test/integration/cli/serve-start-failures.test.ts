/**
 * A start of `hsp serve` that cannot succeed ends by itself, with one sentence and exit 1, and
 * releases what it opened, on both engines: a PostgreSQL server that never answers gets a time
 * limit (--connect-timeout, HSP_CONNECT_TIMEOUT, default 10 s; `hsp serve token` too) and a
 * sentence naming its host:port (never the password); a port in use is named, on PGlite and on PostgreSQL (where,
 * before, the open connections kept the process alive in silence).
 *
 * The built bin/hsp in child processes. A database that never answers is a TCP listener that
 * accepts and says nothing (run once, in the integration-pglite project: no PostgreSQL needed);
 * the port-in-use start on PostgreSQL runs on this session's server in integration-postgres.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnHsp, type HspProcess } from '../../helpers/hsp-process.js';
import { scratchDatabase } from '../../helpers/marketplace.js';
import { expectOneSentence, freePort, msUntilExit, occupiedPort, silentDatabase, TRACE_START, waitForStep } from '../../helpers/serve-start.js';
import { onceOnPGlite, onPGlite, onPostgres } from '../../helpers/skips.js';

const started: HspProcess[] = [];
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hsp-serve-failures-'));
});
afterAll(async () => {
  for (const server of started) server.child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

/** `hsp serve …` with a temporary folder of its own (TMPDIR); resolves to how it ended, how long it took, and that folder. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const scratch = await mkdtemp(join(tmp, 'run-'));
  const server = spawnHsp(['serve', ...args], { env: { TMPDIR: scratch, ...env } });
  started.push(server);
  return { ...(await msUntilExit(server)), scratch };
}

onceOnPGlite.describe('a PostgreSQL server that never answers', () => {
  it.each<{ how: string; args: string[]; env: Record<string, string>; limitMs: number; says: string }>([
    { how: '--connect-timeout 2s', args: ['--connect-timeout', '2s'], env: {}, limitMs: 2_000, says: '2 s' },
    { how: 'HSP_CONNECT_TIMEOUT=1500ms', args: [], env: { HSP_CONNECT_TIMEOUT: '1500ms' }, limitMs: 1_500, says: '1.5 s' },
  ])('$how: exit 1 once the limit is past, one sentence naming host:port and not the password', async ({ args, env, limitMs, says }) => {
    const database = await silentDatabase();
    try {
      const url = `postgres://hsp:s3cret-pw@127.0.0.1:${database.port}/hsp`;
      const { run, ms } = await serve(['--database-url', url, '--port', '0', ...args], env);
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(
        `The PostgreSQL server at 127.0.0.1:${database.port} did not answer within ${says}; check that it runs and that the URL names it, or allow longer with --connect-timeout.`,
      );
      expect(run.stderr + run.stdout).not.toContain('s3cret-pw');
      expect(ms).toBeGreaterThanOrEqual(limitMs);
      // The connection it made was dropped when it gave up.
      await expect.poll(() => database.connections()).toBe(0);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('without a flag the limit is 10 s', async () => {
    const database = await silentDatabase();
    try {
      const { run, ms } = await serve(['--database-url', `postgres://hsp@127.0.0.1:${database.port}/hsp`, '--port', '0']);
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toContain(`127.0.0.1:${database.port} did not answer within 10 s`);
      expect(ms).toBeGreaterThanOrEqual(10_000);
      expect(ms).toBeLessThan(40_000);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('hsp serve token gets the same limit and sentence (it connects to the same database)', async () => {
    const database = await silentDatabase();
    try {
      const server = spawnHsp(['serve', 'token', '--database-url', `postgres://hsp:s3cret-pw@127.0.0.1:${database.port}/hsp`, '--connect-timeout', '1s']);
      started.push(server);
      const { run } = await msUntilExit(server);
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(
        `The PostgreSQL server at 127.0.0.1:${database.port} did not answer within 1 s; check that it runs and that the URL names it, or allow longer with --connect-timeout.`,
      );
      expect(run.stderr).not.toContain('s3cret-pw');
    } finally {
      await database.close();
    }
  }, 60_000);

  it('an address that drops every packet (TEST-NET-1) ends within the limit with a sentence naming it', async () => {
    // Unroutable by definition: depending on the network here, the packets vanish (the limit
    // ends it) or the host is reported unreachable at once. Either way: a sentence, exit 1.
    const { run, ms } = await serve(['--database-url', 'postgres://hsp:pw@192.0.2.1:5432/hsp', '--port', '0', '--connect-timeout', '2s']);
    expect(run.code, run.stderr).toBe(1);
    expect(expectOneSentence(run)).toMatch(/PostgreSQL server at 192\.0\.2\.1:5432/);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);

  it.each<{ args: string[]; env: Record<string, string>; says: string }>([
    { args: ['--connect-timeout', 'soon'], env: {}, says: '--connect-timeout must be a duration such as 30s, 2m or 1500ms, not "soon".' },
    { args: [], env: { HSP_CONNECT_TIMEOUT: '0' }, says: 'HSP_CONNECT_TIMEOUT must be longer than 0 ms.' },
  ])('$args $env: exit 2 with one sentence naming the flag or variable', async ({ args, env, says }) => {
    const { run } = await serve(['--database-url', 'postgres://hsp@127.0.0.1:1/hsp', ...args], env);
    expect(run.code, run.stderr).toBe(2);
    expect(expectOneSentence(run)).toBe(says);
  }, 30_000);
});

/**
 * The port is free when the start checks it, and taken by the time it listens: the failure
 * comes after the database is open, the event stream listens on it and (on a first start) the
 * token is written. Taken as soon as the server names its first step, which is after the check.
 */
async function portTakenWhileStarting(args: string[]) {
  const port = await freePort();
  const server = spawnHsp(['serve', ...args, '--port', String(port)], { env: TRACE_START });
  started.push(server);
  await waitForStep(server, /start: opening the data folder/);
  const blocker = await occupiedPort(port);
  try {
    const { run, ms } = await msUntilExit(server);
    expect(run.code, run.stderr).toBe(1);
    expect(expectOneSentence(run)).toBe(`Port ${port} on 127.0.0.1 is already in use; choose another with --port.`);
    return { run, ms };
  } finally {
    await blocker.close();
  }
}

onPGlite.describe('a port in use, on PGlite', () => {
  it('taken while a new data folder is set up: exit 1 naming the port, and the folder (database, token) gone again', async () => {
    const dataDir = join(tmp, 'late-failure');
    await portTakenWhileStarting(['--data-dir', dataDir]);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('--memory: exit 1 naming the port, its temporary folders gone', async () => {
    const blocker = await occupiedPort();
    try {
      const { run, scratch } = await serve(['--memory', '--port', String(blocker.port)]);
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(`Port ${blocker.port} on 127.0.0.1 is already in use; choose another with --port.`);
      expect(await readdir(scratch)).toEqual([]);
    } finally {
      await blocker.close();
    }
  }, 60_000);

  it('--data-dir of a new folder: exit 1 naming the port, and no folder made', async () => {
    const blocker = await occupiedPort();
    const dataDir = join(tmp, 'never-made');
    try {
      const { run } = await serve(['--data-dir', dataDir, '--port', String(blocker.port)]);
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(`Port ${blocker.port} on 127.0.0.1 is already in use; choose another with --port.`);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await blocker.close();
    }
  }, 60_000);
});

onPostgres.describe('a port in use, on PostgreSQL', () => {
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  beforeAll(async () => {
    ({ databaseUrl, dropDatabase } = await scratchDatabase(process.env.HSP_TEST_DATABASE_URL!));
  });
  afterAll(async () => {
    await dropDatabase?.();
  });

  it('taken while it starts (after the database is open): exit 1 naming the port, and the process ends by itself', async () => {
    await portTakenWhileStarting(['--database-url', databaseUrl]);
  }, 60_000);

  it('exit 1 naming the port, the process ends by itself (no connection keeps it alive)', async () => {
    const blocker = await occupiedPort();
    try {
      const { run } = await serve(['--database-url', databaseUrl, '--port', String(blocker.port)]);
      expect(run.code, run.stderr).toBe(1);
      expect(expectOneSentence(run)).toBe(`Port ${blocker.port} on 127.0.0.1 is already in use; choose another with --port.`);
    } finally {
      await blocker.close();
    }
  }, 60_000);

  it('the same database serves once the port is free: the failed start left nothing in the way', async () => {
    const blocker = await occupiedPort();
    const { port } = blocker;
    const refused = await serve(['--database-url', databaseUrl, '--port', String(port)]);
    expect(refused.run.code).toBe(1);
    await blocker.close();
    const server = spawnHsp(['serve', '--database-url', databaseUrl, '--port', String(port)]);
    started.push(server);
    await server.waitFor(/^Marketplace listening at /m);
    expect((await fetch(`http://127.0.0.1:${port}/status`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0 });
  }, 60_000);
});
