/**
 * A command whose output stops being read (`hsp demo --json | head -3`) or that is stopped
 * (Ctrl+C) ends cleanly: no stack trace, and nothing it started left behind (the in-memory
 * marketplace's administrator token folder, the demo's agent, its stand-in workloads and their
 * folder). The built bin/hsp runs as users run it, with a temporary folder of its own as TMPDIR
 * so that whatever it leaves there is seen.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { spawnHsp, type HspProcess } from '../../helpers/hsp-process.js';
import { onceOnPGlite } from '../../helpers/skips.js';

let scratch: string;
let started: HspProcess | undefined;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hsp-early-exit-'));
});
afterEach(async () => {
  if (started && started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
  started = undefined;
  await rm(scratch, { recursive: true, force: true });
});

/** `hsp …` with TMPDIR (and the configuration folder) in the test's own folder. */
function run(args: string[]): HspProcess {
  started = spawnHsp(args, { env: { TMPDIR: scratch, HSP_CONFIG_DIR: join(scratch, 'config') } });
  return started;
}

/** What the run left in its TMPDIR (the configuration folder aside, which it never writes here). */
async function leftBehind(): Promise<string[]> {
  return (await readdir(scratch)).filter((name) => name !== 'config');
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** The reader of stdout goes away: our end of the pipe closes, and the next write gets EPIPE. */
function closeReader(process: HspProcess): void {
  process.child.stdout.destroy();
}

onceOnPGlite.describe('hsp demo, ended early', () => {
  onceOnPGlite.it('--json | head: the reader going away ends it quietly, with nothing left running or on disk', { timeout: 180_000 }, async () => {
    const demo = run(['demo', '--json']);
    // Read up to the deployed instance: by then a marketplace, an agent and a workload run.
    const [, url] = await demo.waitFor(/"step":"Deploy an instance","ok":true,.*?(http:\/\/127\.0\.0\.1:\d+) answers/);
    expect(await answers(url!)).toBe(true);
    closeReader(demo);
    const exit = await demo.exited;
    expect(exit).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(await leftBehind()).toEqual([]);
    expect(await answers(url!)).toBe(false);
  });

  onceOnPGlite.it('Ctrl+C: one sentence, exit code 130, and everything it started removed', { timeout: 180_000 }, async () => {
    const demo = run(['demo']);
    const [, url] = await demo.waitFor(/Deploy an instance .*?(http:\/\/127\.0\.0\.1:\d+) answers/);
    demo.child.kill('SIGINT');
    const exit = await demo.exited;
    expect(exit.stderr).toBe('Interrupted: the demo stopped and removed everything it had started.\n');
    expect(exit.code).toBe(130);
    expect(await leftBehind()).toEqual([]);
    expect(await answers(url!)).toBe(false);
  });
});

onceOnPGlite.describe('any command whose reader goes away', () => {
  onceOnPGlite.it('hsp serve --memory with no reader: the server closes instead of running on, and removes its token folder', { timeout: 90_000 }, async () => {
    const serve = run(['serve', '--memory', '--port', '0']);
    // Gone before the first line: writing "Marketplace listening at …" finds the pipe closed.
    closeReader(serve);
    const exit = await serve.exited;
    expect(exit).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(await leftBehind()).toEqual([]);
  });

  onceOnPGlite.it('a command that holds nothing ends at once, quietly, with its own exit code', async () => {
    const completion = run(['completion', 'bash']);
    closeReader(completion);
    const exit = await completion.exited;
    expect(exit).toMatchObject({ code: 0, signal: null, stderr: '' });
  });
});
