/**
 * npm's `preprepare` script: builds hsp when it is installed from git, and only then.
 *
 * To install a git dependency (`npm install github:owner/hsp`), npm clones it, runs
 * `npm install` in the clone (devDependencies included) when the package has a `prepack` or
 * `prepare` script, and packs the folder. It runs neither `prepack` nor `preprepare` itself
 * (npm 11), but that `npm install` runs the root's `preprepare`: the build goes there, so the
 * package has its dist/. (`npm install -g` from git is broken in npm 11.19 for any package with
 * such a script: it links the global package to the clone, which npm then deletes.)
 *
 * Why not `prepare`, which npm documents for this: npm 11 lists a `prepare` script among the
 * "install scripts not yet covered by allowScripts" and warns on every install of the packed
 * tarball (`npm install -g ./hsp-0.1.0.tgz`), although it never runs it there.
 *
 * Elsewhere a build here would only be a second one: `npm pack` builds in `prepack`, and in a
 * clone (whose `npm ci` runs this too) `npm test` builds first, `npm run demo` when needed.
 * npm marks the `npm install` it runs in a git dependency's clone with _PACOTE_NO_PREPARE_ (its
 * guard against cycles of git dependencies): build there, once, when dist/ is missing. Were npm
 * to drop that mark, the installed `hsp` says in one sentence what to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const gitDependency = !!process.env._PACOTE_NO_PREPARE_;
if (gitDependency && !existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  // npm_execpath is the npm that runs this script: the same one builds.
  const npm = process.env.npm_execpath;
  const { status, error } = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (error) console.error(`hsp: could not run \`npm run build\` in ${root}: ${error.message}`);
  process.exitCode = status ?? 1;
}
