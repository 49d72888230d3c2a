/**
 * `hsp platforms events` as an operator runs it: the built bin/hsp in a child process,
 * listening to a platform of a real marketplace while the test deploys, changes and undeploys.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const bin = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin', 'hsp');

/** Starts `hsp …` signed in as `user`; `waitFor` watches stdout or stderr. */
function hsp(args: string[], user: TestUser) {
  const env: NodeJS.ProcessEnv = { ...process.env, HSP_URL: m.url, HSP_TOKEN: user.token, HOME: '/nonexistent', NO_COLOR: '1' };
  delete env.HSP_PROFILE;
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    out,
    async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out[stream])) {
        if (child.exitCode !== null) throw new Error(`hsp exited before printing ${pattern}:\n${out.stdout}${out.stderr}`);
        if (Date.now() > deadline) throw new Error(`hsp did not print ${pattern}:\n${out.stdout}${out.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

let owner: TestUser;
let platform: Platform;
let buildId: string;

beforeAll(async () => {
  owner = await m.user('Olive Operator');
  platform = await owner.client.platforms.create(owner.id, { name: 'events-host' });
  const product = await m.admin.products.create({ name: 'Evented App' });
  await m.admin.products.publish(product.id);
  buildId = (await m.admin.builds.create(product.id, { version: '1.0.0', container_repository: 'example/app', container_tag: '1.0.0' })).id;
});

describe('hsp platforms events', { timeout: 60_000 }, () => {
  it('prints a line per event, found by platform name, and stops after --count', async () => {
    const run = hsp(['platforms', 'events', 'events-host', '--count', '3'], owner);
    await run.waitFor('stderr', /^Listening to platform "events-host" \(Ctrl\+C to stop\)\.$/m);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });
    await run.waitFor('stdout', /instance\.created/);
    await owner.client.instances.update(owner.id, platform.id, instance.id, { deployed_at: new Date().toISOString() });
    await run.waitFor('stdout', /instance\.updated/);
    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    expect(await run.exited).toBe(0);
    const lines = run.out.stdout.trimEnd().split('\n');
    expect(lines).toEqual(
      ['created', 'updated', 'deleted'].map((what) => expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  instance\\.${what} +instance ${instance.id}  build ${buildId}$`)) as unknown),
    );
  });

  it('--json: one JSON object per line', async () => {
    const run = hsp(['platforms', 'events', platform.id, '--count', '1', '--json'], owner);
    // JSON mode prints no notices, so deploy until the first event arrives.
    while (!run.out.stdout && run.child.exitCode === null) {
      await owner.client.instances.create(owner.id, platform.id, { build_id: buildId });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(await run.exited).toBe(0);
    expect(run.out.stderr).toBe('');
    const lines = run.out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      type: 'instance.created',
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      instance_id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      build_id: buildId,
      platform_id: platform.id,
      message: expect.any(String) as unknown,
    });
  });

  it('Ctrl+C stops it: exit 0, nothing but the notice', async () => {
    const run = hsp(['platforms', 'events', 'events-host'], owner);
    await run.waitFor('stderr', /^Listening to platform/m);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.out.stdout).toBe('');
    expect(run.out.stderr).toBe('Listening to platform "events-host" (Ctrl+C to stop).\n');
  });

  it("someone else's platform: one sentence and exit 1", async () => {
    const stranger = await m.user('Stan Stranger');
    const run = hsp(['platforms', 'events', platform.id], stranger);
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toMatch(/^The server refused the subscription to .+\.\n$/);
  });

  it('--count must be a positive number, and is checked before anything connects', async () => {
    const run = hsp(['platforms', 'events', 'events-host', '--count', '0'], owner);
    expect(await run.exited).toBe(2);
    expect(run.out.stderr).toBe('--count must be a positive number, got "0".\n');
  });
});
