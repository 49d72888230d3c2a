import { defineConfig } from 'tsup';

// Source maps are for working on hsp (debuggers, `node --enable-source-maps`): package.json's
// "files" leaves them out of the package, where Node ignores them by default and they would
// add about a quarter to its unpacked size.

export default defineConfig([
  {
    // The SDK: importable from ESM and CommonJS, with types for both.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
  },
  {
    // The CLI and the Marketplace Service: ESM only, split so each command loads on demand.
    // The embedded database's worker thread is an entry of its own: dist/pglite-worker.js,
    // beside the chunk that starts it (src/server/db/pglite.ts looks for it there).
    entry: { 'cli/main': 'src/cli/main.ts', 'server/index': 'src/server/index.ts', 'pglite-worker': 'src/server/db/pglite-worker.mjs' },
    format: ['esm'],
    dts: { entry: { 'server/index': 'src/server/index.ts' } },
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: true,
    clean: false,
  },
]);
