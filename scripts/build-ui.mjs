/**
 * Build step: bundles the Marketplace UI (src/ui) into dist/ui/, one folder a browser can load
 * from hsp serve or from any static host:
 *
 *   index.html, 404.html   the page (404.html for static hosts that serve it for deep links)
 *   config.json            {"marketplaceUrl": ""}: edit it to point the UI at another marketplace
 *   assets/*               content-hashed JS chunks (one per lazily loaded page) and the CSS
 *
 * The UI reuses the SDK and its event stream. Their few Node-only imports are dynamic and
 * never reached in a browser (a path upload, a proxy agent), so they stay external; the build
 * fails if one is imported statically, since the page would then not load at all.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/ui');
const started = performance.now();

await rm(out, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/ui/main.tsx' },
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  // Browsers of the last two years: native <dialog>, ES2022, CSS nesting not needed.
  target: ['chrome111', 'firefox115', 'safari16.4', 'edge111'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  alias: {
    ws: './src/ui/platform/ws.ts',
    'node:events': './src/ui/platform/events.ts',
  },
  external: ['node:*', 'undici', 'https-proxy-agent'],
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const [mainFile, main] = outputs.find(([, output]) => output.entryPoint === 'src/ui/main.tsx') ?? [];
if (!mainFile || !main) throw new Error('build-ui: esbuild produced no main entry.');
for (const [file, output] of outputs) {
  const nodeOnly = output.imports.filter((entry) => entry.external && entry.kind === 'import-statement');
  if (nodeOnly.length) {
    throw new Error(`build-ui: ${relative(root, file)} imports ${nodeOnly.map((entry) => entry.path).join(', ')} statically; browsers cannot load that.`);
  }
}

const asset = (file) => relative(out, join(root, file)).split('\\').join('/');
// The chunks the first page needs at once, fetched in parallel with the entry instead of after it.
const preloads = main.imports.filter((entry) => entry.kind === 'import-statement' && !entry.external).map((entry) => asset(entry.path));
const css = main.cssBundle ? asset(main.cssBundle) : undefined;

const template = await readFile(join(root, 'src/ui/index.html'), 'utf8');
const html = template
  .replace('<!--hsp:styles-->', css ? `<link rel="stylesheet" href="${css}" />` : '')
  .replace(
    '<!--hsp:scripts-->',
    [...preloads.map((file) => `<link rel="modulepreload" href="${file}" />`), `<script type="module" src="${asset(mainFile)}"></script>`].join('\n    '),
  );
await mkdir(out, { recursive: true });
await writeFile(join(out, 'index.html'), html);
await writeFile(join(out, '404.html'), html);
await writeFile(join(out, 'config.json'), `${JSON.stringify({ marketplaceUrl: '' }, null, 2)}\n`);

// What the first page costs: the entry and the chunks it imports statically, gzipped.
const firstLoad = [mainFile, ...main.imports.filter((entry) => entry.kind === 'import-statement' && !entry.external).map((entry) => entry.path)];
let gzipped = 0;
for (const file of firstLoad) gzipped += gzipSync(await readFile(join(root, file)), { level: 9 }).length;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`Marketplace UI ${relative(root, out)}/ (first page JS ${(gzipped / 1024).toFixed(1)} KB gzipped) in ${seconds} s`);
