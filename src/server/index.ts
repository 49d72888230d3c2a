/**
 * `createMarketplaceServer()`: a complete HSP Marketplace Service on an embedded PGlite
 * database (in a directory or in memory) or on PostgreSQL. Used by `hsp serve`, by tests
 * and by scripts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debuglog } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TOKEN_FILE, ADMIN_TOKEN_TTL_SECONDS, mintAdministratorToken, recoverAdministratorToken, renewStoredAdminToken, writePrivateFile, type RecoveredToken, type TokenTarget } from './admin-token.js';
import { buildApp } from './app.js';
import { CatalogCache, type CatalogCacheOptions } from './cache/catalog-cache.js';
import { CallerCache, type CallerCacheOptions } from './auth/caller-cache.js';
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
import { defaultUiFolder, isUiSite, loadUiSite, UI_PATH } from './ui.js';
import { makeFolder } from '../make-folder.js';
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
  /** The cache of anonymous catalogue answers (sizes), or `false` for none (./cache/catalog-cache.ts). */
  catalogCache?: CatalogCacheOptions | false;
  /** The cache of authenticated callers (sizes), or `false` for none (./auth/caller-cache.ts). */
  callerCache?: CallerCacheOptions | false;
  /** The WebSocket event stream (ping interval, frame size). */
  cable?: CableServerOptions;
  logger?: boolean;
  onInternalError?: (error: unknown) => void;
  /** Longest the PostgreSQL server may take to accept a connection (default 10 s, see db/postgres.ts). */
  connectTimeoutMs?: number;
  /**
   * The Marketplace UI under /ui/ (./ui.ts): its build folder (default: dist/ui of this package),
   * or `false` for none (`hsp serve --no-ui`; then `/ui/` is an API 404 and `/` always JSON).
   */
  ui?: { folder?: string } | false;
  /**
   * Stops the start (`hsp serve` on SIGINT or SIGTERM): whatever it has opened is closed, and
   * the promise rejects with the signal's reason. After the start, stopping is `close()`.
   */
  signal?: AbortSignal;
}

export interface MarketplaceServer {
  url: string;
  /** Where the first start wrote the administrator's token (mode 0600), if it was this start. */
  adminTokenFile?: string;
  /** The administrator token minted on first start. */
  adminToken?: string;
  /** Set when this start replaced a stored token that no longer worked: why ("had been revoked"). */
  adminTokenRenewed?: string;
  /** The Marketplace UI's address (`<url>/ui/`), or why it is not served (`off`: absent build; undefined reason: turned off). */
  ui: { url: string } | { off: string | undefined };
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
  const { signal } = options;
  const port = options.port ?? 3000;
  const host = options.host ?? '127.0.0.1';
  // What this start has opened, each with its undoing: a start that fails, or is stopped, undoes
  // them all, last first, and leaves nothing behind (no lock, no thread, no connection, no
  // half-made database, no token file) for a process that must then be able to exit.
  const undo: (() => Promise<unknown>)[] = [];
  /** Waits for a step of the start, or for a stop: then the start goes no further. */
  const step = <T>(work: Promise<T>): Promise<T> => untilAborted(work, signal);
  try {
    signal?.throwIfAborted();
    // A port in use is the likeliest failure: found before seconds of opening a database.
    if (port !== 0) await step(checkPortFree(port, host));
    trace('start: opening the data folder');

    // One server per data folder, and the folder private to its owner (./data-folder.ts).
    const folder = options.dataDir && !options.memory ? await openDataFolder(options.dataDir) : undefined;
    if (folder) {
      undo.push(async () => {
        await folder.close();
        if (folder.created) await rmdir(folder.dir);
      });
      // A database this start creates is removed again if the start fails: half-made, or made
      // for a server that never served, it must not be taken for a marketplace by the next start.
      const pgdata = join(folder.dir, 'pgdata');
      if (!(await exists(join(pgdata, 'PG_VERSION')))) undo.push(() => rm(pgdata, { recursive: true, force: true }));
    }
    signal?.throwIfAborted();
    trace('start: opening the database');
    const db = await openDatabase(options);
    // Stopped: end what the database runs now (a migration) rather than wait for it.
    undo.push(() => db.close({ now: !!signal?.aborted }));

    trace('start: migrating the database');
    await step(migrate(db));
    const seeded = await step(db.transaction((tx) => seed(tx)));
    const secret = new TextEncoder().encode(options.secretKeyBase ?? (await step(storedSecret(db))));
    const config = { ...DEFAULT_CONFIG, ...options.config };
    // Read before the port opens (a few hundred KB): requests never wait on the disk.
    const ui = options.ui === false ? undefined : await step(loadUiSite(options.ui?.folder ?? defaultUiFolder()));
    const uiSite = ui && isUiSite(ui) ? ui : undefined;
    // Anonymous catalogue answers, kept rendered and emptied by every replica's catalogue writes.
    const catalogCache = options.catalogCache === false ? undefined : new CatalogCache(options.catalogCache);
    const stopCatalogEvents = catalogCache ? await step(catalogCache.listen(db)) : undefined;
    if (stopCatalogEvents) undo.push(stopCatalogEvents);
    // Callers of tokens seen before, forgotten by every replica's writes to roles, tokens, users.
    const callers = options.callerCache === false ? undefined : new CallerCache(options.callerCache);
    const stopAccessEvents = callers ? await step(callers.listen(db)) : undefined;
    if (stopAccessEvents) undo.push(stopAccessEvents);
    const tracked = [catalogCache, callers].reduce<Database>((wrapped, cache) => cache?.tracking(wrapped) ?? wrapped, db);
    const context: ServerContext = {
      db: tracked,
      secret,
      config,
      resources: new ResourceRegistry(definitions),
      catalogCache,
      callers,
      servesUi: !!uiSite,
      verifyProviderToken: (token, issuer) => verifyProviderToken(db, token, issuer),
    };
    trace('start: building the service');
    const app = await step(buildApp(context, { logger: options.logger, onInternalError: options.onInternalError, ui: uiSite }));
    undo.push(() => app.close());
    const cable = new CableServer(context, options.cable);
    undo.push(() => cable.close());
    await step(cable.attach(app.server));

    // The token is in its file, whole and private, before the port answers: whoever waits for
    // the server to answer (a script, the README's walkthrough) may read it at once.
    let adminToken: string | undefined;
    let adminTokenFile: string | undefined;
    trace('start: writing the administrator token');
    if (seeded.administratorId) {
      // A year: this is the key to a fresh marketplace, kept in a file only its owner can read.
      adminToken = (await step(issueToken(db, secret, { userId: seeded.administratorId }, ADMIN_TOKEN_TTL_SECONDS))).token;
      let dir = options.dataDir;
      if (!dir || !folder) {
        const scratch = (dir = await mkdtemp(join(tmpdir(), 'hsp-marketplace-')));
        undo.push(() => rm(scratch, { recursive: true, force: true }));
      }
      const file = (adminTokenFile = join(dir, ADMIN_TOKEN_FILE));
      await writePrivateFile(file, `${adminToken}\n`);
      undo.push(() => rm(file, { force: true }));
    }
    // The owner's way back in after `hsp logout` (./admin-token.ts): a token that stopped working is replaced.
    const renewed = !seeded.administratorId && folder ? await step(renewStoredAdminToken(db, secret, folder.dir)) : undefined;
    if (renewed) [adminToken, adminTokenFile] = [renewed.token, renewed.file];
    // What the database wrote at start with a library caller's umask (`hsp serve` sets 077).
    await folder?.makePrivate();
    const tokenRequests = folder ? await serveTokenRequests(folder.dir, () => mintAdministratorToken(db, secret)) : undefined;
    if (tokenRequests) undo.push(() => tokenRequests.close());

    signal?.throwIfAborted();
    trace('start: opening the port');
    await step(app.listen({ port, host }));
    // A stop that came while the port opened: nothing was served yet, so this is still a start that was stopped.
    signal?.throwIfAborted();
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const shownHost = host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
    const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${boundPort}`;

    return {
      url,
      adminToken,
      adminTokenFile,
      adminTokenRenewed: renewed?.problem,
      ui: uiSite ? { url: `${url}${UI_PATH}` } : { off: ui && !isUiSite(ui) ? ui.reason : undefined },
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
        await stopCatalogEvents?.();
        await stopAccessEvents?.();
        await db.close();
        await folder?.close();
        if (!folder && adminTokenFile) await rm(dirname(adminTokenFile), { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const undoStep of undo.reverse()) await undoStep().catch(() => {});
    throw signal?.aborted ? signal.reason : error;
  }
}

/** Where a start is, with NODE_DEBUG=hsp: what it waited on when it seems stuck (and for tests, when to stop it). */
const trace = debuglog('hsp');

/** `work`, unless `signal` stops first: then its reason. `work` goes on, unwatched (the caller undoes it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort = () => {};
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, stopped]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * Fails as `listen` would (EADDRINUSE, EACCES, EADDRNOTAVAIL) when the port cannot be had, by
 * opening it and closing it again at once. The real `listen` comes last, and can still fail.
 */
function checkPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * A fresh administrator token for a marketplace's data folder (minted by the server that runs
 * on it, or under its lock) or PostgreSQL database: `hsp serve token`. See ./admin-token.ts.
 */
export function issueAdministratorToken(target: TokenTarget): Promise<RecoveredToken> {
  return recoverAdministratorToken(target, (where) => openDatabase({ ...where, connectTimeoutMs: target.connectTimeoutMs }));
}

/** Where a database is, how long it may take, and what stops its opening. */
type DatabaseTarget = Pick<MarketplaceServerOptions, 'dataDir' | 'memory' | 'databaseUrl' | 'config' | 'connectTimeoutMs' | 'signal'>;

async function openDatabase(options: DatabaseTarget): Promise<Database> {
  // Every query's time limit: PostgreSQL's statement_timeout, or the embedded database's own.
  const queryTimeoutMs = options.config?.queryTimeoutMs ?? DEFAULT_CONFIG.queryTimeoutMs;
  const { signal } = options;
  if (options.databaseUrl) {
    const { openPostgres } = await import('./db/postgres.js');
    return openPostgres(options.databaseUrl, { queryTimeoutMs, connectTimeoutMs: options.connectTimeoutMs, signal });
  }
  const { openPGlite } = await import('./db/pglite.js');
  if (options.dataDir && !options.memory) {
    await makeFolder(options.dataDir);
    const pgdata = join(options.dataDir, 'pgdata');
    if (await exists(join(pgdata, 'PG_VERSION'))) return openPGlite({ dataDir: pgdata, queryTimeoutMs, signal });
    try {
      // A new data directory starts as a copy of the migrated snapshot: initdb takes seconds.
      const snapshot = (await readBuiltSnapshot()) ?? (await readCachedSnapshot());
      if (snapshot) {
        try {
          return await openPGlite({ dataDir: pgdata, snapshot, queryTimeoutMs, signal });
        } catch (error) {
          if (signal?.aborted) throw error;
          await rm(pgdata, { recursive: true, force: true }); // half-unpacked: start over below
        }
      }
      return await openPGlite({ dataDir: pgdata, queryTimeoutMs, signal });
    } catch (error) {
      // Not a database, and not one the next start could open: gone.
      await rm(pgdata, { recursive: true, force: true });
      throw error;
    }
  }
  // "In memory" (a private temporary directory, see db/pglite.ts): start from a migrated, empty
  // database, the one shipped in dist/ or a cached one.
  for (const read of [readBuiltSnapshot, readCachedSnapshot]) {
    const snapshot = await read();
    if (!snapshot) continue;
    try {
      return await openPGlite({ snapshot, queryTimeoutMs, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      // A damaged or foreign snapshot: try the next, or make a new one.
    }
  }
  const { db } = await makeSnapshot(queryTimeoutMs, signal);
  return db;
}

/**
 * Creates a migrated, empty PGlite database and keeps its snapshot in the user's cache, so the
 * next in-memory start skips initdb and migrations. Resolves to the (open) database and the
 * snapshot.
 */
async function makeSnapshot(queryTimeoutMs?: number, signal?: AbortSignal): Promise<{ db: Database; snapshot: Blob }> {
  const { openPGlite, writeSnapshot } = await import('./db/pglite.js');
  const db = await openPGlite({ queryTimeoutMs, signal });
  try {
    await untilAborted(migrate(db), signal);
    const snapshot = await untilAborted(db.snapshot(), signal);
    await writeSnapshot(join(cacheDir(), await snapshotName()), snapshot).catch(() => {});
    return { db, snapshot };
  } catch (error) {
    await db.close({ now: !!signal?.aborted }).catch(() => {});
    throw signal?.aborted ? signal.reason : error;
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
      if (manifest === undefined) continue;
      if (sameJson(manifest, wanted)) return readSnapshot(join(candidate, BUILT_SNAPSHOT));
      // Not the user's problem (a start without it takes a few seconds more, once), but a
      // packaging slip: shown with NODE_DEBUG=hsp.
      trace('built PGlite snapshot in %s not used: it holds %s, this code needs %s', candidate, manifest.trim(), wanted);
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
