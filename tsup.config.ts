import { defineConfig } from 'tsup';

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
    // The CLI: ESM only, split so each command module loads on demand.
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: true,
    clean: false,
  },
]);
