/**
 * `npm run demo` in a clone: builds hsp when its build is missing or older than its sources,
 * then runs `hsp demo --keep` in this process: the marketplace, its agent and the Marketplace UI
 * stay up until Ctrl+C, so a newcomer can open the printed address and deploy by clicking.
 * Arguments after `--` go to it (`npm run demo -- --json`); `--no-keep` ends it after the demo.
 *
 * Why not `npm run build && hsp demo`: the build lists every file it writes, some two hundred
 * lines that bury the demo's ten. That listing is for people changing hsp; here the build says
 * one line, and shows its whole output only when it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time among these files and everything below these folders. */
function newest(paths) {
  let time = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) time = Math.max(time, newest(readdirSync(path).map((name) => join(path, name))));
    else time = Math.max(time, stat.mtimeMs);
  }
  return time;
}

const built = join(root, 'dist', 'cli', 'main.js');
const sources = ['src', 'package.json', 'tsup.config.ts', 'scripts/build-pglite-snapshot.mjs', 'scripts/build-ui.mjs'].map((path) => join(root, path));
const outputs = [built, join(root, 'dist', 'pglite-snapshot.json'), join(root, 'dist', 'ui', 'index.html')];
if (outputs.some((output) => !existsSync(output)) || newest(sources) > statSync(built).mtimeMs) {
  const started = performance.now();
  process.stderr.write('Building hsp… ');
  // npm_execpath is the npm that runs this script: the build runs under the same one.
  const npm = process.env.npm_execpath;
  const build = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, encoding: 'utf8' })
    : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    process.stderr.write(`failed:\n${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `${build.error.message}\n` : ''}`);
    process.exit(build.status ?? 1);
  }
  process.stderr.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s.\n\n`);
}

// As bin/hsp does: main(argv) reads the arguments after `node hsp`.
const { main } = await import('../dist/cli/main.js');
const args = process.argv.slice(2);
const keep = args.includes('--no-keep') ? [] : ['--keep'];
await main([process.argv[0], 'hsp', 'demo', ...keep, ...args.filter((arg) => arg !== '--no-keep')]);
