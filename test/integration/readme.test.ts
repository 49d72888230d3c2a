/**
 * The README's shell blocks, run as a reader would run them, so the README cannot drift.
 *
 * The walkthrough (every ```sh block outside "Two commands" and "Install") is pasted whole:
 * its blocks, as written, joined into one bash script. Nothing is added between its lines: a
 * server or agent started in the background (`… &`) must be waited for by the README's own next
 * line, and stopped by its own last one. The script runs with `set -e` (a failing line fails the
 * test; a reader would see the error) in a fresh copy of this clone: a git repository holding
 * the files the clone would commit, with node_modules/ and dist/ linked in (and excluded), with
 * `hsp` on the PATH as the Install section's `npm link` puts it there, and a home and config
 * folder of its own. Afterwards `git status` there must show nothing (the clone stays clean),
 * and nothing the walkthrough started may still run.
 *
 * A reader's marketplace listens on 127.0.0.1:3000 and the agent's probes on 8787; here each
 * run takes free ports instead (PORT, and those ports rewritten in the script's text).
 *
 * "Two commands" (`npm ci && npm test` would run this test inside itself) and "Install" (it
 * links a package into the machine's global npm folder) are checked for naming scripts that
 * exist; the demo and the package have tests of their own. Blocks that cannot run here
 * (another host, a systemd unit) are fenced as `text` or `ini`, not `sh`.
 *
 * The ```ts blocks are type-checked against the built package, as a reader's script would be;
 * the names they use without defining (a platform id, a signal, a reconcile function) are
 * declared for them.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { onceOnPGlite } from '../helpers/skips.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

interface Block {
  lang: string;
  text: string;
  line: number;
  /** The `## ` heading the block is under. */
  section: string;
}

function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\S*)[^\n]*\n([\s\S]*?)^```\s*$/gm;
  for (const match of markdown.matchAll(fence)) {
    const before = markdown.slice(0, match.index);
    const section = [...before.matchAll(/^## (.+)$/gm)].at(-1)?.[1] ?? '';
    blocks.push({ lang: match[1]!, text: match[2]!, line: before.split('\n').length, section });
  }
  return blocks;
}

/** The commands of a block, without comments and blank lines. */
function commandsOf(blocks: Block[]): string[] {
  return blocks
    .flatMap((b) => b.text.split('\n'))
    .map((l) => l.replace(/(^|\s)#.*/, '').trim())
    .filter(Boolean);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/**
 * A fresh clone: the files this one would commit (tracked, and new ones not ignored), committed
 * in a repository of their own, so that its `git status` shows only what the walkthrough adds.
 * node_modules/ and dist/ are links to this clone's (installing and building again would take
 * minutes), excluded in .git/info/exclude: .gitignore's `node_modules/` matches folders, not links.
 */
async function freshClone(dir: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  const files = [...new Set(stdout.split('\0').filter(Boolean))];
  for (const file of files) {
    // A file deleted in the working tree but not yet in the index is not part of the clone.
    const stat = await lstat(join(root, file)).catch(() => undefined);
    if (!stat?.isFile()) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(root, file), join(dir, file));
  }
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  await symlink(join(root, 'dist'), join(dir, 'dist'));
  const git = (...args: string[]) => run('git', ['-c', 'init.defaultBranch=main', '-c', 'user.name=README test', '-c', 'user.email=readme@test.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
  await git('init', '-q');
  await writeFile(join(dir, '.git/info/exclude'), '/node_modules\n/dist\n');
  await git('add', '-A');
  await git('commit', '-q', '--no-verify', '-m', 'the clone');
}

interface Finished {
  code: number | null;
  output: string;
  /** Something the script started was still running after it ended. */
  leftRunning: boolean;
}

/**
 * Runs the script in a process group of its own, so that whatever it starts in the background
 * can be found, and ended, however the script ends.
 */
function bashScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    // Not 'close': a background process left running would hold the pipes open.
    child.once('exit', (code) => {
      const group = -child.pid!;
      const leftRunning = signalGroup(group, 0);
      signalGroup(group, 'SIGKILL');
      child.once('close', () => resolve({ code, output, leftRunning }));
    });
  });
}

/** Whether the signal reached any process of the group. */
function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(group, signal);
    return true;
  } catch {
    return false;
  }
}

onceOnPGlite.describe('README.md', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const shell = codeBlocks(readme).filter((b) => b.lang === 'sh');
  const setup = shell.filter((b) => b.section === 'Two commands');
  const install = shell.filter((b) => b.section === 'Install');
  const walkthrough = shell.filter((b) => !setup.includes(b) && !install.includes(b));
  const packageJson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

  it('holds exactly the two set-up commands, naming scripts that exist', () => {
    expect(commandsOf(setup)).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    expect(packageJson.scripts.demo).toBeTruthy();
    expect(packageJson.scripts.test).toBeTruthy();
  });

  it('says how to put hsp on the PATH before the walkthrough first runs it', () => {
    const commands = commandsOf(install);
    expect(commands.length).toBeGreaterThanOrEqual(1);
    expect(commands.join(' ')).toMatch(/\bnpm link\b/);
    for (const [, script] of commands.join(' ').matchAll(/\bnpm run ([\w:-]+)/g)) expect(packageJson.scripts[script!], `npm run ${script}`).toBeTruthy();
    // `npm link` puts the package's bins on the PATH: the one the walkthrough calls must be there.
    expect(packageJson.bin.hsp).toBeTruthy();
    const firstHsp = walkthrough.find((b) => /^hsp /m.test(b.text));
    expect(firstHsp && install.every((b) => b.line < firstHsp.line)).toBe(true);
  });

  it('holds TypeScript that compiles against the built package', { timeout: 60_000 }, async () => {
    const typescript = codeBlocks(readme).filter((b) => b.lang === 'ts');
    expect(typescript.length).toBeGreaterThanOrEqual(1);
    // Inside the package, so that 'hsp' resolves to it (a package may import itself by name).
    await mkdir(join(root, '.tmp'), { recursive: true });
    const dir = await mkdtemp(join(root, '.tmp', 'readme-types-'));
    scratch.push(dir);
    const prelude = 'declare const platformId: string;\ndeclare const signal: AbortSignal;\ndeclare function reconcile(): void;\nexport {};\n';
    const files = await Promise.all(
      typescript.map(async (block) => {
        const file = `readme-line-${block.line}.mts`;
        await writeFile(join(dir, file), `${prelude}${block.text}`);
        return file;
      }),
    );
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  });

  it('runs the walkthrough pasted whole into a shell, and leaves the clone clean', { timeout: 180_000 }, async () => {
    // A README without walkthrough blocks would pass trivially: there must be several.
    expect(walkthrough.length).toBeGreaterThanOrEqual(4);
    const work = await mkdtemp(join(tmpdir(), 'hsp-readme-'));
    scratch.push(work);
    const clone = join(work, 'clone');
    await freshClone(clone);
    // What `npm link` makes: the package's bin, by its name, in a folder on the PATH.
    const bin = join(work, 'bin');
    await mkdir(bin);
    await symlink(join(clone, packageJson.bin.hsp!), join(bin, 'hsp'));
    const home = join(work, 'home');
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
      HSP_CONFIG_DIR: join(home, '.config/hsp'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_STATE_HOME: join(home, '.local/state'),
      XDG_CACHE_HOME: join(home, '.cache'),
      NO_COLOR: '1',
    };

    const port = await freePort();
    let healthPort = await freePort();
    while (healthPort === port) healthPort = await freePort();
    const ports: Record<string, number> = { '3000': port, '8787': healthPort };
    const pasted = walkthrough
      .map((b) => b.text)
      .join('')
      .replace(/(127\.0\.0\.1:|--health-port )(3000|8787)\b/g, (_, before: string, reader: string) => `${before}${ports[reader]}`);
    // `set -x` shows each command as it runs: the output of a failed run says which line failed.
    const script = `set -e -o pipefail -x\n${pasted}`;
    const started = performance.now();
    // `hsp serve` listens on PORT (3000 for a reader).
    const { code, output, leftRunning } = await bashScript(script, clone, { ...env, PORT: String(port) });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    expect(code, `${output}\n(after ${seconds} s)`).toBe(0);
    expect(leftRunning, 'the walkthrough stops what it starts in the background').toBe(false);

    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: clone });
    expect(status, 'what the walkthrough leaves in the clone, as git sees it').toBe('');
  });
});
