/**
 * The README's shell blocks, run as a reader would run them, so the README cannot drift.
 *
 * Every ```sh block runs, in order, in one bash session (`set -e`: any failing command fails
 * the test), in a scratch folder holding a copy of examples/, with `hsp` on the PATH and a
 * home directory of its own. The exception is the block of the two set-up commands (`npm ci
 * && …`): running `npm ci` and the whole test suite from inside the test suite makes no sense,
 * so that block is checked for naming scripts that exist (the demo has its own test).
 *
 * A reader's marketplace listens on 127.0.0.1:3000; here each run takes a free port instead
 * (PORT, and the README's URLs rewritten).
 * A line that starts something in the background (`… &`) is waited for: `hsp serve` until it
 * answers, `hsp agent listen --health-port N` until it is ready. Background processes are
 * stopped at the end. Blocks that cannot run here (another host, a systemd unit) are fenced
 * as `text` or `ini` in the README, not `sh`.
 *
 * The ```ts blocks are type-checked against the built package, as a reader's script would be;
 * the names they use without defining (a platform id, a signal, a reconcile function) are
 * declared for them.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

interface Block {
  lang: string;
  text: string;
  line: number;
}

function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\S*)[^\n]*\n([\s\S]*?)^```\s*$/gm;
  for (const match of markdown.matchAll(fence)) {
    blocks.push({ lang: match[1]!, text: match[2]!, line: markdown.slice(0, match.index).split('\n').length });
  }
  return blocks;
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

/** Bash that waits until a URL answers 200 (the reader would just wait a moment). */
function waitForUrl(url: string): string {
  const probe = `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
  return `for _ in $(seq 1 300); do node -e '${probe}' && break; sleep 0.1; done; node -e '${probe}'`;
}

/** The script the reader types: the README's lines, plus the waits and the port of this run. */
function scriptOf(blocks: Block[], port: number): string {
  const lines = ['set -euo pipefail', 'trap \'kill $(jobs -p) 2>/dev/null; wait\' EXIT'];
  for (const block of blocks) {
    lines.push(`echo "### README line ${block.line}" >&2`);
    for (const raw of block.text.replace(/\\\n/g, ' ').split('\n')) {
      const line = raw.replaceAll('127.0.0.1:3000', `127.0.0.1:${port}`).replace(/^npx hsp /, 'hsp ');
      if (!line.trim() || line.trim().startsWith('#')) continue;
      lines.push(`echo '$ ${line.replaceAll("'", "'\\''")}' >&2`, line);
      // A trailing comment (" # …") is the reader's, not the shell's business.
      if (!line.replace(/\s#\s.*$/, '').trim().endsWith('&')) continue;
      if (/^\s*hsp serve\b/.test(line)) lines.push(waitForUrl(`http://127.0.0.1:${port}/status`));
      const health = /--health-port[ =](\d+)/.exec(line);
      if (health) lines.push(waitForUrl(`http://127.0.0.1:${health[1]}/readyz`));
    }
  }
  return `${lines.join('\n')}\n`;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.runIf(!process.env.HSP_TEST_DATABASE_URL)('README.md', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const shell = codeBlocks(readme).filter((b) => b.lang === 'sh');
  const setup = shell.filter((b) => /^npm ci\b/m.test(b.text));
  const walkthrough = shell.filter((b) => !setup.includes(b));

  it('holds exactly the two set-up commands, naming scripts that exist', async () => {
    const scripts = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const commands = setup.flatMap((b) => b.text.split('\n')).map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    expect(scripts.demo).toBeTruthy();
    expect(scripts.test).toBeTruthy();
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
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  });

  it('runs every shell block as written', { timeout: 180_000 }, async () => {
    // A README without walkthrough blocks would pass trivially: there must be several.
    expect(walkthrough.length).toBeGreaterThanOrEqual(4);
    const dir = await mkdtemp(join(tmpdir(), 'hsp-readme-'));
    scratch.push(dir);
    const bin = join(dir, '.bin');
    await mkdir(bin);
    await writeFile(join(bin, 'hsp'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin/hsp')}" "$@"\n`, { mode: 0o755 });
    await cp(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
    // The example scripts import 'hsp', as they would in a reader's project: the package under test.
    await mkdir(join(dir, 'node_modules'));
    await symlink(root, join(dir, 'node_modules/hsp'));
    const home = join(dir, '.home');
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_STATE_HOME: join(home, '.local/state'),
      XDG_CACHE_HOME: join(home, '.cache'),
      NO_COLOR: '1',
    };
    const port = await freePort();
    // `hsp serve` listens on PORT (3000 for a reader); the README's URLs are rewritten to match.
    const { code, output } = await bash(scriptOf(walkthrough, port), dir, { ...env, PORT: String(port) });
    expect(code, output).toBe(0);
  });
});
