/**
 * `createMarketplaceServer()`: a complete HSP Marketplace Service on an embedded PGlite
 * database (in a directory or in memory) or on PostgreSQL. Used by `hsp serve`, by tests
 * and by scripts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TOKEN_FILE, ADMIN_TOKEN_TTL_SECONDS, mintAdministratorToken, recoverAdministratorToken, renewStoredAdminToken, type RecoveredToken, type TokenTarget } from './admin-token.js';
import { buildApp } from './app.js';
import { CableServer, type CableServerOptions } from './cable/server.js';
import { verifyProviderToken } from './auth/identity-providers.js';
import { issueToken } from './auth/tokens.js';
import type { ServerConfig, ServerContext } from './context.js';
import { openDataFolder } from './data-folder.js';
import { DEFAULT_QUERY_TIMEOUT_MS, type Database } from './db/database.js';
import { migrate, SCHEMA_VERSION } from './db/migrate.js';
import { migrations } from './db/schema.js';
import { definitions } from './resources/index.js';
import { ResourceRegistry } from './resources/registry.js';
import { seed } from './seed.js';
import { serveTokenRequests } from './token-socket.js';
import { cacheDir } from './paths.js';

export interface MarketplaceServerOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  host?: string;
  /** Keep the embedded database here (created if missing). */
  dataDir?: string;
  /** Use a throw-away in-memory database (the default when neither dataDir nor databaseUrl is given). */
  memory?: boolean;
  /** A PostgreSQL URL: use that server instead of the embedded database. */
  databaseUrl?: string;
  /** Key for marketplace tokens; default: generated once and kept in the database. */
  secretKeyBase?: string;
  config?: Partial<ServerConfig>;
  /** The WebSocket event stream (ping interval, frame size). */
  cable?: CableServerOptions;
  logger?: boolean;
  onInternalError?: (error: unknown) => void;
}

export interface MarketplaceServer {
  url: string;
  /** Where the first start wrote the administrator's token (mode 0600), if it was this start. */
  adminTokenFile?: string;
  /** The administrator token minted on first start. */
  adminToken?: string;
  /** Set when this start replaced a stored token that no longer worked: why ("had been revoked"). */
  adminTokenRenewed?: string;
  db: Database;
  app: FastifyInstance;
  context: ServerContext;
  close(): Promise<void>;
}

export const DEFAULT_CONFIG: ServerConfig = {
  bodyLimit: 1024 * 1024,
  uploadLimit: 50 * 1024 * 1024,
  tokenTtlSeconds: 24 * 60 * 60,
  queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
};

export async function createMarketplaceServer(options: MarketplaceServerOptions = {}): Promise<MarketplaceServer> {
  // One server per data folder, and the folder private to its owner (./data-folder.ts).
  const folder = options.dataDir && !options.memory ? await openDataFolder(options.dataDir) : undefined;
  const db = await openDatabase(options).catch(async (error: unknown) => {
    await folder?.close();
    throw error;
  });
  let scratchDir: string | undefined;
  try {
    await migrate(db);
    const seeded = await db.transaction((tx) => seed(tx));
    const secret = new TextEncoder().encode(options.secretKeyBase ?? (await storedSecret(db)));
    const config = { ...DEFAULT_CONFIG, ...options.config };
    const context: ServerContext = { db, secret, config, resources: new ResourceRegistry(definitions), verifyProviderToken: (token, issuer) => verifyProviderToken(db, token, issuer) };
    const app = await buildApp(context, { logger: options.logger, onInternalError: options.onInternalError });
    const cable = new CableServer(context, options.cable);
    await cable.attach(app.server);
    await app.listen({ port: options.port ?? 3000, host: options.host ?? '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    let adminToken: string | undefined;
    let adminTokenFile: string | undefined;
    if (seeded.administratorId) {
      // A year: this is the key to a fresh marketplace, kept in a file only its owner can read.
      adminToken = (await issueToken(db, secret, { userId: seeded.administratorId }, ADMIN_TOKEN_TTL_SECONDS)).token;
      const dir = options.dataDir ?? (scratchDir = await mkdtemp(join(tmpdir(), 'hsp-marketplace-')));
      await mkdir(dir, { recursive: true });
      adminTokenFile = join(dir, ADMIN_TOKEN_FILE);
      await writeFile(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    }
    // The owner's way back in after `hsp logout` (./admin-token.ts): a token that stopped working is replaced.
    const renewed = !seeded.administratorId && folder ? await renewStoredAdminToken(db, secret, folder.dir) : undefined;
    if (renewed) [adminToken, adminTokenFile] = [renewed.token, renewed.file];
    // What the database wrote at start with a library caller's umask (`hsp serve` sets 077).
    await folder?.makePrivate();
    const tokenRequests = folder ? await serveTokenRequests(folder.dir, () => mintAdministratorToken(db, secret)) : undefined;

    return {
      url,
      adminToken,
      adminTokenFile,
      adminTokenRenewed: renewed?.problem,
      db,
      app,
      context,
      async close() {
        await cable.close();
        // Fastify closes the keep-alive connections that are idle when closing starts; one busy
        // then (an agent's report in flight) would idle on for the keep-alive timeout after its
        // answer. Sweeping until closed lets every request finish and no connection linger.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
        try {
          await tokenRequests?.close();
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        await db.close();
        await folder?.close();
        if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    await folder?.close();
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A fresh administrator token for a marketplace's data folder (minted by the server that runs
 * on it, or under its lock) or PostgreSQL database: `hsp serve token`. See ./admin-token.ts.
 */
export function issueAdministratorToken(target: TokenTarget): Promise<RecoveredToken> {
  return recoverAdministratorToken(target, (where) => openDatabase(where));
}

async function openDatabase(options: MarketplaceServerOptions): Promise<Database> {
  // Every query's time limit: PostgreSQL's statement_timeout, or the embedded database's own.
  const queryTimeoutMs = options.config?.queryTimeoutMs ?? DEFAULT_CONFIG.queryTimeoutMs;
  if (options.databaseUrl) {
    const { openPostgres } = await import('./db/postgres.js');
    return openPostgres(options.databaseUrl, { queryTimeoutMs });
  }
  const { openPGlite } = await import('./db/pglite.js');
  if (options.dataDir && !options.memory) {
    await mkdir(options.dataDir, { recursive: true });
    const pgdata = join(options.dataDir, 'pgdata');
    if (await exists(join(pgdata, 'PG_VERSION'))) return openPGlite({ dataDir: pgdata, queryTimeoutMs });
    // A new data directory starts as a copy of the migrated snapshot: initdb takes seconds.
    const snapshot = (await readBuiltSnapshot()) ?? (await readCachedSnapshot());
    if (snapshot) {
      try {
        return await openPGlite({ dataDir: pgdata, snapshot, queryTimeoutMs });
      } catch {
        await rm(pgdata, { recursive: true, force: true }); // half-unpacked: start over below
      }
    }
    return openPGlite({ dataDir: pgdata, queryTimeoutMs });
  }
  // "In memory" (a private temporary directory, see db/pglite.ts): start from a migrated, empty
  // database, the one shipped in dist/ or a cached one.
  for (const read of [readBuiltSnapshot, readCachedSnapshot]) {
    const snapshot = await read();
    if (!snapshot) continue;
    try {
      return await openPGlite({ snapshot, queryTimeoutMs });
    } catch {
      // A damaged or foreign snapshot: try the next, or make a new one.
    }
  }
  const { db } = await makeSnapshot(queryTimeoutMs);
  return db;
}

/**
 * Creates a migrated, empty PGlite database and keeps its snapshot in the user's cache, so the
 * next in-memory start skips initdb and migrations. Resolves to the (open) database and the
 * snapshot.
 */
async function makeSnapshot(queryTimeoutMs?: number): Promise<{ db: Database; snapshot: Blob }> {
  const { openPGlite, writeSnapshot } = await import('./db/pglite.js');
  const db = await openPGlite({ queryTimeoutMs });
  try {
    await migrate(db);
    const snapshot = await db.snapshot();
    await writeSnapshot(join(cacheDir(), await snapshotName()), snapshot).catch(() => {});
    return { db, snapshot };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}

/** Name of the build-time snapshot in dist/, and of the file beside it that says what it holds. */
const BUILT_SNAPSHOT = 'pglite-snapshot.tar.gz';
const BUILT_SNAPSHOT_MANIFEST = 'pglite-snapshot.json';

/**
 * Writes the migrated, empty database into `directory` (dist/, by `npm run build`), so that
 * even the very first `hsp serve --memory` on a machine starts in a couple of seconds.
 * Reuses the user's snapshot cache when it holds the same schema. Internal: for the build.
 */
export async function buildPGliteSnapshot(directory: string): Promise<{ file: string; bytes: number }> {
  let snapshot = await readCachedSnapshot();
  if (!snapshot) {
    const made = await makeSnapshot();
    snapshot = made.snapshot;
    await made.db.close();
  }
  const { writeSnapshot } = await import('./db/pglite.js');
  const file = join(directory, BUILT_SNAPSHOT);
  await writeSnapshot(file, snapshot);
  await writeFile(join(directory, BUILT_SNAPSHOT_MANIFEST), `${JSON.stringify(await snapshotIdentity())}\n`);
  return { file, bytes: snapshot.size };
}

/** What a snapshot must match to be usable: the PGlite that wrote it and the exact schema. */
async function snapshotIdentity(): Promise<{ pglite: string; schema: string }> {
  return { pglite: await pgliteVersion(), schema: schemaFingerprint() };
}

async function snapshotName(): Promise<string> {
  const { pglite, schema } = await snapshotIdentity();
  return `pglite-${pglite}-schema-${schema}.tar.gz`;
}

/**
 * The build-time snapshot, when one is found in a `dist/` above this module (dist/ itself once
 * built, the repository's dist/ when running from src/) and matches this code's PGlite and schema.
 * HSP_SKIP_BUILT_SNAPSHOT=1 ignores it (for tests of the cache; and a way around a bad one).
 */
async function readBuiltSnapshot(): Promise<Blob | undefined> {
  if (process.env.HSP_SKIP_BUILT_SNAPSHOT === '1') return undefined;
  const { readSnapshot } = await import('./db/pglite.js');
  const wanted = JSON.stringify(await snapshotIdentity());
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [dir, join(dir, 'dist')]) {
      const manifest = await readFile(join(candidate, BUILT_SNAPSHOT_MANIFEST), 'utf8').catch(() => undefined);
      if (manifest !== undefined && sameJson(manifest, wanted)) return readSnapshot(join(candidate, BUILT_SNAPSHOT));
    }
    // The package root ends the search: never pick up another project's files.
    if ((await exists(join(dir, 'package.json'))) || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}

function sameJson(text: string, wanted: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === wanted;
  } catch {
    return false;
  }
}

async function readCachedSnapshot(): Promise<Blob | undefined> {
  const { readSnapshot } = await import('./db/pglite.js');
  return readSnapshot(join(cacheDir(), await snapshotName()));
}

/**
 * A digest of every migration's SQL, not just the latest version number: a snapshot taken
 * before a migration was edited (during development) must not be mistaken for a current one.
 */
function schemaFingerprint(): string {
  const text = JSON.stringify(migrations.map((m) => [m.version, m.name, m.sql]));
  return `${SCHEMA_VERSION}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/** The snapshot cache is per PGlite version: another version may not read it. */
async function pgliteVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The token key of a database without MARKETPLACE_SECRET_KEY_BASE: made once, shared by replicas. */
async function storedSecret(db: Database): Promise<string> {
  await db.query(`INSERT INTO settings (key, value) VALUES ('secret_key_base', $1) ON CONFLICT (key) DO NOTHING`, [
    randomBytes(64).toString('hex'),
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'secret_key_base'`);
  return rows[0]!.value;
}
