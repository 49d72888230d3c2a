/**
 * `hsp status --wait`: what lets a script start `hsp serve &` and rely on it on the next line.
 * The waits run as users run them (the built bin/hsp in a child process) against a real
 * `hsp serve` started after the wait began: on PGlite in memory, and in the
 * integration-postgres project on a scratch database. The time limit, the answers that end a
 * wait at once and bad flags run in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { scratchDatabase, useMarketplace } from '../../helpers/marketplace.js';

const postgresUrl = process.env.HSP_TEST_DATABASE_URL;
// The waiting processes sign in as nobody: no profile or token of the machine running the tests.
const configDir = mkdtempSync(join(tmpdir(), 'hsp-status-wait-'));
afterAll(() => rmSync(configDir, { recursive: true, force: true }));
const anonymous = { HSP_CONFIG_DIR: configDir, HSP_TOKEN: '' };

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `--debug` traces each attempt on stderr: how a test sees that a wait is under way. */
function attempts(stderr: string): number {
  return stderr.split('\n').filter((line) => line.startsWith('> GET ') && line.includes('/status')).length;
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('hsp status --wait against a marketplace that starts later', () => {
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (postgresUrl) ({ databaseUrl, dropDatabase } = await scratchDatabase(postgresUrl));
  });
  afterAll(async () => dropDatabase?.());

  it('blocks while nothing listens, and prints the status once `hsp serve` answers (--url and HSP_URL alike)', { timeout: 90_000 }, async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const byFlag = spawnHsp(['status', '--url', url, '--wait', '--json', '--debug'], { env: anonymous });
    const byEnvironment = spawnHsp(['status', '--wait', '--json', '--debug'], { env: { ...anonymous, HSP_URL: url } });
    let server: ReturnType<typeof spawnHsp> | undefined;
    try {
      // Both have been refused more than once before the server is even started: they wait.
      await until(() => attempts(byFlag.output().stderr) >= 2 && attempts(byEnvironment.output().stderr) >= 2, 'two refused attempts each');
      expect(byFlag.child.exitCode).toBeNull();
      expect(byEnvironment.child.exitCode).toBeNull();

      server = spawnHsp(['serve', ...(databaseUrl ? ['--database-url', databaseUrl] : ['--memory']), '--port', String(port)]);
      await server.waitFor(/^Marketplace listening at /m);
      const listening = Date.now();
      for (const waiter of [byFlag, byEnvironment]) {
        const run = await waiter.exited;
        expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
        const status = JSON.parse(run.stdout) as Status;
        expect(status.product?.datetime).toBeTruthy();
        expect(status.identity ?? null).toBeNull();
        // Retried every 100 ms, not with the SDK's growing back-off: the server was answering
        // for at most a few hundred milliseconds (process start-up on a busy machine aside).
        expect(Date.now() - listening).toBeLessThan(10_000);
        expect(run.stderr).not.toMatch(/^\s+at .+:\d+/m);
      }
    } finally {
      byFlag.child.kill('SIGKILL');
      byEnvironment.child.kill('SIGKILL');
      server?.child.kill('SIGTERM');
      await server?.exited;
    }
  });

  it('Ctrl+C while waiting exits 130 with one sentence', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const waiter = spawnHsp(['status', '--url', url, '--wait', '--debug'], { env: anonymous });
    try {
      await until(() => attempts(waiter.output().stderr) >= 1, 'the first attempt');
      waiter.child.kill('SIGINT');
      const run = await waiter.exited;
      expect({ code: run.code, signal: run.signal, stdout: run.stdout }).toEqual({ code: 130, signal: null, stdout: '' });
      // Below --debug's request lines (and the error's class, which --debug adds).
      const said = run.stderr.split('\n').filter((line) => line && !line.startsWith('> ') && !line.startsWith('debug: '));
      expect(said).toEqual([`Interrupted: ${url} had not answered yet.`]);
    } finally {
      waiter.child.kill('SIGKILL');
    }
  });
});

describe('hsp status --wait: the limits', () => {
  const m = useMarketplace();
  let unavailable: Server;
  let unavailableUrl: string;
  beforeAll(async () => {
    // What a proxy answers while the marketplace behind it is still starting.
    unavailable = createHttpServer((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('starting'));
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
    unavailableUrl = `http://127.0.0.1:${(unavailable.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => unavailable.close(() => resolve())));

  it('past --timeout: one sentence naming the URL, the limit and the last failure; exit 1', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = performance.now();
    const run = await hsp(['status', '--url', url, '--wait', '--timeout', '700ms']);
    const elapsed = performance.now() - started;
    expect(run).toEqual({ code: 1, stdout: '', stderr: `${url} did not answer within 700ms (--timeout): connection refused (ECONNREFUSED).\n` });
    expect(elapsed).toBeGreaterThanOrEqual(600);
    // Far below the 60 s default, with room for a slow machine to start the process.
    expect(elapsed).toBeLessThan(15_000);
  });

  it('a 5xx is waited on too, and named when the time runs out', async () => {
    // Long enough for a first answer to arrive on a busy machine: this server answers at once.
    const run = await hsp(['status', '--url', unavailableUrl, '--wait', '--timeout', '3s']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `${unavailableUrl} did not answer within 3s (--timeout): it answered HTTP 503.\n` });
  });

  it('an answer that waiting cannot change ends the wait at once: a refused token is exit 4', async () => {
    const started = performance.now();
    const run = await hsp(['status', '--wait', '--timeout', '30s'], { env: { HSP_URL: m.url, HSP_TOKEN: 'not-a-token' } });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^GET \/status failed with HTTP 401\b/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a marketplace that is up answers at once, as plain `hsp status` does', async () => {
    const env = { HSP_URL: m.url, HSP_TOKEN: m.server.adminToken };
    const waited = await hsp(['status', '--wait', '--json'], { env });
    const plain = await hsp(['status', '--json'], { env });
    expect(waited.code, waited.stderr).toBe(0);
    const [a, b] = [JSON.parse(waited.stdout) as Status, JSON.parse(plain.stdout) as Status];
    expect(a.identity?.user.id).toBe(b.identity?.user.id);
    expect(a.permissions).toEqual(b.permissions);
  });

  it.each([
    [['--timeout', '10s'], '--timeout only applies with --wait.\n'],
    [['--wait', '--timeout', 'soon'], '--timeout must be a duration such as 30s, 2m or 1500ms, not "soon".\n'],
    [['--wait', '--timeout', '0s'], '--timeout must be longer than 0, not "0s".\n'],
  ])('%j → exit 2 with one sentence, before any request', async (args, stderr) => {
    // Port 9 (discard) is closed: a request would fail differently.
    const run = await hsp(['status', '--url', 'http://127.0.0.1:9', ...args]);
    expect(run).toEqual({ code: 2, stdout: '', stderr });
  });
});
