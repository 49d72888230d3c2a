/**
 * `npm run demo` in a clone shows the demo, not the build: its output is the demo's ten result
 * lines (after npm's own two-line header), the build is one line on stderr (and none at all
 * once it is up to date), and the next step is named. Run in a copy of the sources with no
 * dist/, so the build really happens there and the tree under test keeps its own.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { repoRoot } from '../../helpers/hsp-process.js';
import { onceOnPGlite } from '../../helpers/skips.js';

let clone: string;
beforeAll(async () => {
  clone = await mkdtemp(join(tmpdir(), 'hsp-npm-run-demo-'));
  for (const path of ['package.json', 'tsconfig.json', 'tsup.config.ts', 'src', 'scripts', 'bin', 'examples']) await cp(join(repoRoot, path), join(clone, path), { recursive: true });
  await symlink(join(repoRoot, 'node_modules'), join(clone, 'node_modules'), 'dir');
});
afterAll(async () => {
  await rm(clone, { recursive: true, force: true });
});

function npmRunDemo(args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', ['run', 'demo', ...(args.length ? ['--', ...args] : [])], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** stdout without npm's "> hsp@0.1.0 demo" / "> node scripts/demo.mjs" header. */
function demoLines(stdout: string): string[] {
  return stdout.replace(/^\n?(> .*\n)+\n/, '').trimEnd().split('\n');
}

onceOnPGlite.describe('npm run demo', () => {
  onceOnPGlite.it('builds in one line on stderr, then prints the demo\'s ten lines and nothing else', { timeout: 400_000 }, async () => {
    const run = await npmRunDemo();
    expect(run.code, run.stderr).toBe(0);
    const lines = demoLines(run.stdout);
    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 8).every((line) => line.startsWith('✓ '))).toBe(true);
    expect(lines[8]).toBe('');
    expect(lines[9]).toMatch(/^All 8 steps verified through the API in \d+\.\d s\.$/);
    expect(run.stderr).toMatch(/^Building hsp… done in \d+\.\d s\.\n\nNext: "hsp demo --keep" leaves this marketplace and its agent running to explore; "hsp serve" starts one of your own\.\n$/);
  });

  onceOnPGlite.it('does not build again while the build is newer than the sources', { timeout: 60_000 }, async () => {
    const run = await npmRunDemo(['--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: hsp demo/m);
  });
});
