/**
 * Ctrl+C in `hsp publish`, as a person sees it: "Interrupted" at once, on one line; the steps
 * already running finish; then one summary line (N done, M not started) and what to run, never
 * a line per step that did not start. --json keeps every step's outcome. The same command run
 * again finishes the job. The built bin/hsp against the real marketplace on loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { spawnHsp, type HspExit, type HspProcess } from '../../helpers/hsp-process.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const TASKS = 40;
/** Every record the manifest makes: the product, the build, two configurations and their tasks. */
const STEPS = 2 + 2 + 2 * TASKS;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-publish-interrupted-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A manifest of many small records, so that a publish takes long enough to interrupt. */
async function manifest(name: string): Promise<string> {
  const tasks = Array.from({ length: TASKS }, (_, i) => `        - name: task-${i}`).join('\n');
  const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
  await writeFile(
    file,
    `product:\n  name: ${name}\n  description: Many small records.\n  uri: https://many.example.org\n` +
      `build:\n  version: 1.0.0\n  configurations:\n` +
      `    - name: primary\n      default: true\n      tasks:\n${tasks}\n` +
      `    - name: secondary\n      tasks:\n${tasks}\n`,
  );
  return file;
}

function publish(args: string[]): HspProcess {
  return spawnHsp(['publish', ...args, '--concurrency', '1'], { env: { HSP_URL: m.url, HSP_TOKEN: m.server.adminToken!, HSP_CONFIG_DIR: join(dir, 'config') } });
}

/** Sends Ctrl+C's signal once `ready` holds for what the run printed so far. */
async function interruptWhen(run: HspProcess, ready: (output: { stdout: string; stderr: string }) => boolean | Promise<boolean>): Promise<HspExit> {
  for (;;) {
    if (await ready(run.output())) break;
    if (run.child.exitCode !== null) throw new Error(`hsp publish ended before it could be interrupted:\n${run.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  run.child.kill('SIGINT');
  return run.exited;
}

describe('hsp publish, interrupted', () => {
  it('says so first, in one line, then sums up in one line: no line per step that did not start', { timeout: 120_000 }, async () => {
    const file = await manifest('Interrupted Many');
    const exit = await interruptWhen(publish([file]), ({ stderr }) => stderr.includes(`[3/${STEPS}] ✓`));
    expect(exit.code).toBe(130);

    const lines = exit.stderr.trimEnd().split('\n');
    const said = lines.findIndex((line) => line.startsWith('! Interrupted'));
    expect(lines[said]).toBe('! Interrupted: letting the steps already running finish, starting no more (Ctrl+C again stops at once).');
    // After it, at most the step that was running ends; then what to do.
    expect(lines.slice(said + 1, -1).every((line) => /^\[\d+\/\d+\] ✓ created /.test(line))).toBe(true);
    expect(lines.slice(said + 1, -1).length).toBeLessThanOrEqual(1);
    expect(lines.at(-1)).toBe('Run the same command again to finish: what is done stays done.');
    expect(exit.stderr).not.toMatch(/skipped/);

    const done = lines.filter((line) => /^\[\d+\/\d+\] ✓/.test(line)).length;
    expect(exit.stdout.trimEnd().split('\n').at(-1)).toBe(`Interrupted: ${done} done, ${STEPS - done} not started.`);

    // The same command again finishes it, and leaves nothing to do after.
    const again = await publish([file]).exited;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe(`✓ Done: ${STEPS - done} created, 0 updated, 0 deleted, ${done} unchanged.`);
    const after = await publish([file]).exited;
    expect(after.stdout).toContain('Nothing to change');
  });

  it('--json still records every step, the ones not started marked interrupted', { timeout: 60_000 }, async () => {
    const name = 'Interrupted Many JSON';
    const run = publish([await manifest(name), '--json']);
    // Nothing is printed before the end in --json: interrupt once the product exists.
    const exit = await interruptWhen(run, async () => (await m.admin.products.list({ perPage: 100 }).toArray()).some((p) => p.name === name));
    expect(exit.code).toBe(130);
    expect(exit.stderr).toBe('');
    const document = JSON.parse(exit.stdout) as PlanDocument;
    expect(document.actions).toHaveLength(STEPS);
    const notStarted = document.actions.filter((a) => a.interrupted);
    expect(notStarted.length).toBeGreaterThan(0);
    expect(notStarted.every((a) => a.outcome === 'skipped')).toBe(true);
    expect(document.actions.filter((a) => a.outcome === 'done').length + notStarted.length).toBe(STEPS);
  });
});
