/**
 * `createMarketplaceServer()`: a complete HSP Marketplace Service on an embedded PGlite
 * database (in a directory or in memory) or on PostgreSQL. Used by `hsp serve`, by tests
 * and by scripts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { issueToken } from './auth/tokens.js';
import type { ServerConfig, ServerContext } from './context.js';
import type { Database } from './db/database.js';
import { migrate, SCHEMA_VERSION } from './db/migrate.js';
import { definitions } from './resources/index.js';
import { ResourceRegistry } from './resources/registry.js';
import { seed } from './seed.js';
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
  logger?: boolean;
  onInternalError?: (error: unknown) => void;
}

export interface MarketplaceServer {
  url: string;
  /** Where the first start wrote the administrator's token (mode 0600), if it was this start. */
  adminTokenFile?: string;
  /** The administrator token minted on first start. */
  adminToken?: string;
  db: Database;
  app: FastifyInstance;
  context: ServerContext;
  close(): Promise<void>;
}

export const DEFAULT_CONFIG: ServerConfig = {
  bodyLimit: 1024 * 1024,
  uploadLimit: 50 * 1024 * 1024,
  tokenTtlSeconds: 24 * 60 * 60,
};

export async function createMarketplaceServer(options: MarketplaceServerOptions = {}): Promise<MarketplaceServer> {
  const db = await openDatabase(options);
  let scratchDir: string | undefined;
  try {
    await migrate(db);
    const seeded = await db.transaction((tx) => seed(tx));
    const secret = new TextEncoder().encode(options.secretKeyBase ?? (await storedSecret(db)));
    const config = { ...DEFAULT_CONFIG, ...options.config };
    const context: ServerContext = { db, secret, config, resources: new ResourceRegistry(definitions) };
    const app = await buildApp(context, { logger: options.logger, onInternalError: options.onInternalError });
    await app.listen({ port: options.port ?? 3000, host: options.host ?? '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    let adminToken: string | undefined;
    let adminTokenFile: string | undefined;
    if (seeded.administratorId) {
      // A year: this is the key to a fresh marketplace, kept in a file only its owner can read.
      adminToken = (await issueToken(db, secret, { userId: seeded.administratorId }, 365 * 24 * 60 * 60)).token;
      const dir = options.dataDir ?? (scratchDir = await mkdtemp(join(tmpdir(), 'hsp-marketplace-')));
      await mkdir(dir, { recursive: true });
      adminTokenFile = join(dir, 'admin.token');
      await writeFile(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    }

    return {
      url,
      adminToken,
      adminTokenFile,
      db,
      app,
      context,
      async close() {
        await app.close();
        await db.close();
        if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
    throw error;
  }
}

async function openDatabase(options: MarketplaceServerOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { openPostgres } = await import('./db/postgres.js');
    return openPostgres(options.databaseUrl);
  }
  const { openPGlite, readSnapshot, writeSnapshot } = await import('./db/pglite.js');
  if (options.dataDir && !options.memory) {
    await mkdir(options.dataDir, { recursive: true });
    return openPGlite({ dataDir: join(options.dataDir, 'pgdata') });
  }
  // In memory: start from a cached, migrated, empty database; make that cache on first use.
  const snapshotFile = join(cacheDir(), `pglite-${await pgliteVersion()}-schema-${SCHEMA_VERSION}.tar.gz`);
  const snapshot = await readSnapshot(snapshotFile);
  if (snapshot) {
    try {
      return await openPGlite({ snapshot });
    } catch {
      // A damaged cache is rebuilt below.
    }
  }
  const db = await openPGlite();
  await migrate(db);
  await writeSnapshot(snapshotFile, await db.snapshot()).catch(() => {});
  return db;
}

/** The snapshot cache is per PGlite version: another version may not read it. */
async function pgliteVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The token key of a database without MARKETPLACE_SECRET_KEY_BASE: made once, shared by replicas. */
async function storedSecret(db: Database): Promise<string> {
  await db.query(`INSERT INTO settings (key, value) VALUES ('secret_key_base', $1) ON CONFLICT (key) DO NOTHING`, [
    randomBytes(64).toString('hex'),
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'secret_key_base'`);
  return rows[0]!.value;
}
