/**
 * `hsp serve token`: a fresh administrator token on stdout (alone, for a pipe into
 * `hsp login --with-token`), for a data folder (minted by its running server, or under its
 * lock when none runs) or a PostgreSQL database. Run in-process; the marketplace is real.
 * Every refusal is one sentence on stderr with exit 1 (2 for a wrong command line).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Status } from '../../../src/index.js';
import { createMarketplaceServer, type MarketplaceServer } from '../../../src/server/index.js';
import { hsp, type CliRun } from '../../helpers/cli.js';
import { scratchDatabase } from '../../helpers/marketplace.js';
import { onPGlite, onPostgres } from '../../helpers/skips.js';

const postgresUrl = process.env.HSP_TEST_DATABASE_URL;

/** The token a successful run printed: exactly one line on stdout, nothing on stderr. */
function printedToken(run: CliRun): string {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  return run.stdout.trim();
}

/** `hsp status --json` with the token: it signs in as an administrator. */
async function expectAdministrator(server: MarketplaceServer, token: string): Promise<void> {
  const run = await hsp(['status', '--json'], { env: { HSP_URL: server.url, HSP_TOKEN: token } });
  expect(run.code, run.stderr).toBe(0);
  const status = JSON.parse(run.stdout) as Status;
  expect(status.permissions?.everything?.manage).toBe(true);
}

function expectOneSentence(run: CliRun, code: number): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^[A-Z-].*[.!?]$/);
}

onPGlite.describe('hsp serve token on a data folder', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-serve-token-test-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('while the server runs (it mints the token), and after it stopped; --json and HSP_DATA_DIR too', async () => {
    const dataDir = join(tmp, 'marketplace');
    let server = await createMarketplaceServer({ port: 0, dataDir });
    try {
      // The README's way back in after `hsp logout`: the stored token is revoked here.
      await fetch(`${server.url}/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${server.adminToken}`, accept: 'application/json' } });
      await expectAdministrator(server, printedToken(await hsp(['serve', 'token', '--data-dir', dataDir])));
      await expectAdministrator(server, printedToken(await hsp(['serve', '--data-dir', dataDir, 'token'])));
      const json = await hsp(['serve', 'token', '--json'], { env: { HSP_DATA_DIR: dataDir } });
      expect(json.code, json.stderr).toBe(0);
      const minted = JSON.parse(json.stdout) as { token: string; expires_at: string };
      expect(Date.parse(minted.expires_at)).toBeGreaterThan(Date.now());
      await expectAdministrator(server, minted.token);
      // A server that does not answer on the socket (an older hsp, or a path too long for one).
      await rm(join(dataDir, 'server.sock'));
      const unanswered = await hsp(['serve', 'token', '--data-dir', dataDir]);
      expectOneSentence(unanswered, 1);
      expect(unanswered.stderr).toMatch(
        new RegExp(
          `^The data folder ${dataDir} is in use by a Marketplace server that does not hand out tokens \\(process ${process.pid}, started \\S+Z\\); stop it first, or sign in with the token it wrote to ${join(dataDir, 'admin.token')}\\.\\n$`,
        ),
      );
    } finally {
      await server.close();
    }
    const offline = printedToken(await hsp(['serve', 'token', '--data-dir', dataDir]));
    server = await createMarketplaceServer({ port: 0, dataDir });
    try {
      await expectAdministrator(server, offline);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('refuses a folder without a marketplace, and a command line naming two places', async () => {
    const missing = await hsp(['serve', 'token', '--data-dir', join(tmp, 'nothing-here')]);
    expectOneSentence(missing, 1);
    expect(missing.stderr).toBe(`There is no marketplace in ${join(tmp, 'nothing-here')}; start one with: hsp serve --data-dir ${join(tmp, 'nothing-here')}.\n`);
    const both = await hsp(['serve', 'token', '--data-dir', tmp, '--database-url', 'postgres://hsp@db/hsp']);
    expectOneSentence(both, 2);
    expect(both.stderr).toMatch(/^--data-dir cannot be combined with --database-url/);
  });

  it('an unreachable PostgreSQL server: one sentence naming it, without its password', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const { port } = blocker.address() as AddressInfo;
    await new Promise((resolve) => blocker.close(resolve));
    const run = await hsp(['serve', 'token', '--database-url', `postgres://hsp:secretpw@127.0.0.1:${port}/hsp`]);
    expectOneSentence(run, 1);
    expect(run.stderr).toContain(`Cannot connect to the PostgreSQL server at 127.0.0.1:${port}`);
    expect(run.stderr).not.toContain('secretpw');
  });

  it('is listed in hsp serve --help', async () => {
    const help = await hsp(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\n {2}token +Print a fresh administrator token/);
  });
});

onPostgres.describe('hsp serve token on PostgreSQL', () => {
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  let server: MarketplaceServer;
  beforeAll(async () => {
    ({ databaseUrl, dropDatabase } = await scratchDatabase(postgresUrl!));
    server = await createMarketplaceServer({ port: 0, databaseUrl });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await dropDatabase?.();
  });

  it('--database-url (or DATABASE_URL) prints a token that signs in as an administrator', async () => {
    await expectAdministrator(server, printedToken(await hsp(['serve', 'token', '--database-url', databaseUrl])));
    await expectAdministrator(server, printedToken(await hsp(['serve', 'token'], { env: { DATABASE_URL: databaseUrl } })));
  }, 60_000);
});
