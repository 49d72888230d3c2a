/**
 * Embedded PostgreSQL (PGlite): in a data directory, or in memory. Creating a cluster from
 * scratch takes seconds, so an in-memory database starts from a snapshot of a freshly
 * created, fully migrated one, cached on disk per schema version.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';
import { quoteIdent } from './postgres.js';

export interface PGliteOptions {
  /** A directory to keep the database in; none means in memory. */
  dataDir?: string;
  /** A tarball (from `snapshot`) to start from: an in-memory database, or a new (empty) `dataDir`. */
  snapshot?: Blob;
}

export async function openPGlite(options: PGliteOptions = {}): Promise<Database & { snapshot(): Promise<Blob> }> {
  // Loaded here, not at the top: the CLI must not pay for WebAssembly unless it serves.
  const { PGlite } = await import('@electric-sql/pglite');
  const db: PGliteType = new PGlite({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.snapshot ? { loadDataDir: options.snapshot } : {}),
  });
  await db.waitReady;

  const wrap = (q: Pick<PGliteType, 'query' | 'exec'>): Queryable => ({
    async query(sql, params) {
      const result = await q.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as never[], rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql) {
      await q.exec(sql);
    },
  });

  return {
    engine: 'pglite',
    ...wrap(db),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    async listen(channel, onPayload) {
      const stop = await db.listen(quoteIdent(channel), onPayload);
      return async () => stop();
    },
    close: () => db.close(),
    snapshot: async () => db.dumpDataDir('gzip'),
  };
}

/** Reads a cached snapshot, or `undefined` when there is none (or it is unreadable). */
export async function readSnapshot(path: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

/** Writes a snapshot atomically, so a concurrent reader never sees half a file. */
export async function writeSnapshot(path: string, snapshot: Blob): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, new Uint8Array(await snapshot.arrayBuffer()));
  await rename(temporary, path);
}
