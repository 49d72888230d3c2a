/**
 * `npm run demo` in a clone shows the demo, not the build: its output is the demo's ten result
 * lines (after npm's own two-line header), the build is one line on stderr (and none at all
 * once it is up to date). It keeps the marketplace running (`hsp demo --keep`) with directions
 * to the Marketplace UI until Ctrl+C; `-- --no-keep` ends after the demo and names the next
 * step. Run in a copy of the sources with no dist/, so the build really happens there and the
 * tree under test keeps its own.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** `npm run demo -- args` in its own process group, as a terminal runs it (Ctrl+C reaches npm and the demo alike). */
function startNpmRunDemo(args: string[] = []) {
  const child = spawn('npm', ['run', 'demo', ...(args.length ? ['--', ...args] : [])], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', shell: process.platform === 'win32' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

function npmRunDemo(args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startNpmRunDemo(args).exited;
}

/** stdout without npm's "> hsp@0.1.0 demo" / "> node scripts/demo.mjs" header. */
function demoLines(stdout: string): string[] {
  return stdout.replace(/^\n?(> .*\n)+\n/, '').trimEnd().split('\n');
}

onceOnPGlite.describe('npm run demo', () => {
  onceOnPGlite.it('builds in one line on stderr, prints the demo\'s ten lines, keeps running with directions to the UI until Ctrl+C', { timeout: 400_000 }, async () => {
    const demo = startNpmRunDemo();
    try {
      for (const started = Date.now(); !/^Sign in at .*\n$/m.test(demo.output().stderr); ) {
        if (demo.child.exitCode !== null) throw new Error(`npm run demo ended early:\n${demo.output().stdout}${demo.output().stderr}`);
        if (Date.now() - started > 380_000) throw new Error(`npm run demo printed no directions:\n${demo.output().stdout}${demo.output().stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { stdout, stderr } = demo.output();
      const lines = demoLines(stdout);
      expect(lines).toHaveLength(10);
      expect(lines.slice(0, 8).every((line) => line.startsWith('✓ '))).toBe(true);
      expect(lines[8]).toBe('');
      expect(lines[9]).toMatch(/^All 8 steps verified through the API in \d+\.\d s\.$/);
      expect(stderr).toMatch(
        /^Building hsp… done in \d+\.\d s\.\n\nThe marketplace keeps running at (http:\/\/127\.0\.0\.1:\d+) with the agent serving platform "demo-host"; administrator token in \S+\. Ctrl\+C stops both\.\n\nMarketplace UI: \1\/ui\/platforms\/[0-9a-f-]{36} {2}\(the demo's platform; deploy a product from \1\/ui\/\)\nSign in at \1\/ui\/sign-in with the administrator token: paste the contents of \S+\.\n$/,
      );
      const ui = stderr.match(/^Marketplace UI: (\S+)/m)![1]!;
      const tokenFile = stderr.match(/administrator token in (\S+)\. Ctrl\+C/)![1]!;
      expect((await fetch(ui, { headers: { accept: 'text/html' } })).status).toBe(200);

      // Ctrl+C in a terminal: SIGINT to the whole foreground process group. npm itself ends by
      // the signal, as a shell expects of Ctrl+C; the demo closes everything it started.
      process.kill(-demo.child.pid!, 'SIGINT');
      const run = await demo.exited;
      expect(run.stderr.slice(stderr.length)).toBe('');
      for (const started = Date.now(); existsSync(dirname(tokenFile)); ) {
        if (Date.now() - started > 20_000) throw new Error('The demo left its marketplace running after Ctrl+C.');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await expect(fetch(ui)).rejects.toThrow();
    } finally {
      // Whatever of the group is left after a failure (npm itself ends by the SIGINT above).
      try {
        process.kill(-demo.child.pid!, 'SIGKILL');
      } catch {
        // The group has ended: nothing is left.
      }
    }
  });

  onceOnPGlite.it('-- --no-keep ends after the demo and names the next step', { timeout: 120_000 }, async () => {
    const run = await npmRunDemo(['--no-keep']);
    expect(run.code, run.stderr).toBe(0);
    expect(demoLines(run.stdout)).toHaveLength(10);
    expect(run.stderr).toBe('Next: "hsp demo --keep" leaves this marketplace, its agent and the Marketplace UI running to explore; "hsp serve" starts one of your own.\n');
  });

  onceOnPGlite.it('does not build again while the build is newer than the sources', { timeout: 60_000 }, async () => {
    const run = await npmRunDemo(['--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: hsp demo/m);
  });
});
