/**
 * Build step (after tsup): writes dist/pglite-snapshot.tar.gz, a migrated, empty PGlite
 * database, and dist/pglite-snapshot.json naming the PGlite version and schema it holds.
 *
 * Why: creating a PGlite cluster (initdb) and migrating it takes 5-9 s on a 2-core machine,
 * longer than the 5 s in which `hsp serve --memory` must be ready; loading this snapshot takes
 * about 2 s. The server uses it only when it matches its own PGlite and schema, and falls back
 * to the user's snapshot cache, then to initdb, otherwise.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const started = performance.now();
const { buildPGliteSnapshot } = await import('../dist/server/index.js');
const { file, bytes } = await buildPGliteSnapshot(fileURLToPath(new URL('../dist/', import.meta.url)));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`PGlite snapshot ${file} (${(bytes / 2 ** 20).toFixed(1)} MB) in ${seconds} s`);
