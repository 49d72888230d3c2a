import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import { ExecOrchestrator } from '../../../src/agent/orchestrators/exec.js';
import { records } from './orchestrator-fixtures.js';

const standIn = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/agent/stand-in-container.mjs');
let stateDir: string;
let orchestrator: ExecOrchestrator;

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'hsp-standin-'));
  orchestrator = new ExecOrchestrator({ argv: [process.execPath, standIn], platformId: randomUUID(), log: () => undefined, env: { PATH: process.env.PATH, HSP_STANDIN_DIR: stateDir } });
});

afterAll(async () => {
  // Whatever a failed test left running is stopped.
  for (const workload of (await orchestrator.list()) ?? []) await orchestrator.remove(workload.instanceId);
  rmSync(stateDir, { recursive: true, force: true });
});

async function get(url: string): Promise<unknown> {
  const response = await fetch(url);
  return response.json();
}

/** The pid of the server answering at `url`, if any (a freed port may be someone else's by now). */
async function pidAt(url: string): Promise<number | undefined> {
  try {
    return ((await get(url)) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

describe('the stand-in container (an exec hook)', () => {
  it('deploys an instance as a server that answers, lists it, replaces it and removes it', async () => {
    // Were the values passed on, NODE_OPTIONS would stop the stand-in's server from starting.
    const input = records({ environment: { API_URL: 'http://api', NODE_OPTIONS: '--require ./does-not-exist.cjs' } });
    const deployment = toDeployment(input);
    const id = deployment.instance.id;
    const local = new ExecOrchestrator({ argv: [process.execPath, standIn], platformId: deployment.platformId, log: () => undefined, env: { PATH: process.env.PATH, HSP_STANDIN_DIR: stateDir } });

    const report = await local.deploy(deployment);
    const [workload] = report.workloads as { pid: number; url: string }[];
    expect(workload?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(workload?.url ?? '')).toEqual({ instance_id: id, pid: workload?.pid, environment: ['API_URL', 'LOG_LEVEL', 'NODE_OPTIONS'] });
    expect(await local.list()).toEqual([{ instanceId: id }]);
    expect(readdirSync(stateDir)).toEqual([`${id}.json`]);

    const again = await local.deploy(deployment);
    const [replacement] = again.workloads as { pid: number; url: string }[];
    expect(replacement?.pid).not.toBe(workload?.pid);
    expect(await pidAt(workload?.url ?? '')).not.toBe(workload?.pid);
    expect(await get(replacement?.url ?? '')).toMatchObject({ instance_id: id });

    await local.remove(id);
    expect(await pidAt(replacement?.url ?? '')).not.toBe(replacement?.pid);
    expect(await local.list()).toEqual([]);
    expect(readdirSync(stateDir)).toEqual([]);
    await local.remove(id);
  });

  it('refuses an instance id that is not a UUID, touching no file', () => {
    const run = spawnSync(process.execPath, [standIn], { env: { PATH: process.env.PATH, HSP_STANDIN_DIR: stateDir, HSP_ACTION: 'remove', HSP_INSTANCE_ID: '../../etc/passwd' }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('stand-in: HSP_INSTANCE_ID is not an instance id.\n');
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('refuses an unknown action', () => {
    const run = spawnSync(process.execPath, [standIn], { env: { PATH: process.env.PATH, HSP_STANDIN_DIR: stateDir, HSP_ACTION: 'explode', HSP_INSTANCE_ID: randomUUID() }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('stand-in: unknown HSP_ACTION "explode" (deploy, remove or list).\n');
  });
});
