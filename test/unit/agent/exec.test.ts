import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import { createOrchestrator } from '../../../src/agent/orchestrators/index.js';
import { ExecOrchestrator, hookEnvironment } from '../../../src/agent/orchestrators/exec.js';
import { InvalidArgumentError } from '../../../src/index.js';
import { records } from './orchestrator-fixtures.js';

let dir: string;
const log = () => undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hsp-exec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readStdin = `const input = await new Promise((resolve) => { let d = ''; process.stdin.on('data', (c) => (d += c)); process.stdin.on('end', () => resolve(d)); });`;

/** Writes a Node hook script; returns the argv that runs it (with extra arguments). */
function hook(source: string, ...args: string[]): string[] {
  const file = join(dir, `hook-${randomUUID()}.mjs`);
  writeFileSync(file, `${readStdin}\n${source}\n`);
  return [process.execPath, file, ...args];
}

/** An exec orchestrator with its own log, so that tests can run concurrently. */
function exec(argv: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; killGraceMs?: number; platformId?: string } = {}) {
  const logs: { event: string; fields?: Record<string, unknown> }[] = [];
  const orchestrator = new ExecOrchestrator({
    argv,
    platformId: options.platformId ?? randomUUID(),
    log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }),
    env: options.env ?? { PATH: process.env.PATH },
    ...options,
  });
  return Object.assign(orchestrator, { logs });
}

function deployment() {
  return toDeployment(records({ environment: { API_URL: 'http://api' } }));
}

/** Resolves once `file` exists (it is written whole, by a rename). */
function untilExists(file: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(file), () => {
      if (existsSync(file)) {
        watcher.close();
        resolve();
      }
    });
    if (existsSync(file)) {
      watcher.close();
      resolve();
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed process whose parent is gone may linger as a zombie until it is reaped.
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

// Each test spawns Node processes and waits on them: run side by side.
describe.concurrent('exec orchestrator', () => {
  it('passes argv literally (no shell), the action as JSON on stdin and ids in the environment', async () => {
    const marker = join(dir, 'PWNED');
    const argv = hook(
      `process.stdout.write(JSON.stringify({ workloads: [{ pid: 1 }], seen: { argv: process.argv.slice(2), input: JSON.parse(input), env: { action: process.env.HSP_ACTION, instance: process.env.HSP_INSTANCE_ID, platform: process.env.HSP_PLATFORM_ID } } }));`,
      'with space',
      `x; touch ${marker}`,
      '$(touch PWNED)',
      '`id`',
    );
    const d = deployment();
    const report = await exec(argv, { platformId: d.platformId }).deploy(d);
    const seen = report.seen as { argv: string[]; input: Record<string, unknown> & { deployment: Record<string, unknown> }; env: Record<string, string> };
    expect(seen.argv).toEqual(['with space', `x; touch ${marker}`, '$(touch PWNED)', '`id`']);
    expect(existsSync(marker)).toBe(false);
    expect(seen.env).toEqual({ action: 'deploy', instance: d.instance.id, platform: d.platformId });
    expect(seen.input).toMatchObject({ action: 'deploy', instance_id: d.instance.id, platform_id: d.platformId });
    expect(seen.input.deployment).toMatchObject({
      fingerprint: d.fingerprint,
      image: 'example/web:1.2.3',
      tasks: [{ name: 'web', replicas: 1, memory_mib: 256, ports: [80], options: [], cron: null, environment: { LOG_LEVEL: 'info', API_URL: 'http://api' } }],
      environment: { LOG_LEVEL: 'info', API_URL: 'http://api' },
      instance: { id: d.instance.id },
      build: { id: d.build.id },
    });
    expect(report).toMatchObject({ orchestrator: 'exec', fingerprint: d.fingerprint, workloads: [{ pid: 1 }] });
  });

  it('keeps secrets out of the hook\u2019s environment', async () => {
    const env = {
      PATH: process.env.PATH,
      KEEP_ME: 'yes',
      HSP_URL: 'http://marketplace',
      HSP_TOKEN: 'tok-123',
      GITHUB_TOKEN: 'gh-123',
      AWS_SECRET_ACCESS_KEY: 'aws-123',
      DB_PASSWORD: 'pw-123',
      DATABASE_URL: 'postgres://u:pw@db/x',
      CREDENTIALS_DIRECTORY: '/run/credentials/hsp-agent.service',
      HSP_AGENT_KEY_FILE: '/etc/hsp/agent.key',
    };
    const argv = hook(`process.stdout.write(JSON.stringify({ names: Object.keys(process.env).filter((k) => !k.startsWith('HSP_ACTION') ) }));`);
    const d = deployment();
    const report = await exec(argv, { env, platformId: d.platformId }).deploy(d);
    const names = report.names as string[];
    expect(names).toEqual(expect.arrayContaining(['PATH', 'KEEP_ME', 'HSP_URL', 'HSP_INSTANCE_ID', 'HSP_PLATFORM_ID']));
    for (const secret of ['HSP_TOKEN', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'DATABASE_URL', 'CREDENTIALS_DIRECTORY', 'HSP_AGENT_KEY_FILE']) expect(names).not.toContain(secret);
    expect(hookEnvironment({ SSH_AUTH_SOCK: '/x', OAUTH_CLIENT_SECRET: 's', LANG: 'C.UTF-8' })).toEqual({ LANG: 'C.UTF-8' });
  });

  it('makes an empty deploy output an empty report, and keeps the agent\u2019s own keys', async () => {
    const d = deployment();
    expect(await exec(hook(''), { platformId: d.platformId }).deploy(d)).toEqual({ orchestrator: 'exec', fingerprint: d.fingerprint, workloads: [] });
    const sneaky = hook(`console.log(JSON.stringify({ orchestrator: 'docker', fingerprint: 'forged', url: 'http://x' }));`);
    expect(await exec(sneaky, { platformId: d.platformId }).deploy(d)).toEqual({ orchestrator: 'exec', fingerprint: d.fingerprint, workloads: [], url: 'http://x' });
  });

  it.each([
    ['not JSON', `console.log('deployed!');`, 'but its output is not JSON: "deployed!".'],
    ['a JSON array', `console.log('[1]');`, 'but its output is not a JSON object.'],
    ['workloads that are not objects', `console.log(JSON.stringify({ workloads: ['a'] }));`, 'but its "workloads" is not a list of objects.'],
    ['a report too big for launch_bindings', `console.log(JSON.stringify({ blob: 'x'.repeat(20000) }));`, 'but printed 20011 bytes; a report of at most 16384 fits in launch_bindings.'],
  ])('refuses a deploy output that is %s', async (_name, source, expected) => {
    const d = deployment();
    await expect(exec(hook(source), { platformId: d.platformId }).deploy(d)).rejects.toThrow(`The exec hook deployed instance ${d.instance.id} ${expected}`);
  });

  it('turns a failing hook into one sentence with the end of its stderr', async () => {
    const d = deployment();
    const argv = hook(`process.stderr.write('pulling...\\n' + 'noise '.repeat(2000) + '\\nError: the registry said no\\n'); process.exit(3);`);
    const error = await exec(argv, { platformId: d.platformId })
      .deploy(d)
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(new RegExp(`^The exec hook failed to deploy instance ${d.instance.id}: it exited with code 3 \\(….*Error: the registry said no\\)\\.$`));
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message.length).toBeLessThan(500);
  });

  it('says when the command cannot be started', async () => {
    const missing = join(dir, 'no-such-hook');
    await expect(exec([missing]).remove(randomUUID())).rejects.toThrow(`The exec hook ${JSON.stringify(missing)} could not be started: ENOENT.`);
  });

  it('stops a hook that runs too long', async () => {
    const d = deployment();
    await expect(exec(hook('setInterval(() => {}, 1000);'), { platformId: d.platformId, timeoutMs: 300, killGraceMs: 100 }).deploy(d)).rejects.toThrow(
      `The exec hook did not deploy instance ${d.instance.id} within 300 ms and was stopped.`,
    );
  });

  it('stops everything a cancelled hook started, with SIGKILL when it ignores SIGTERM', async () => {
    const pidFile = join(dir, `child-${randomUUID()}.pid`);
    const argv = hook(
      `import { spawn } from 'node:child_process'; import { renameSync, writeFileSync } from 'node:fs';
       process.on('SIGTERM', () => {});
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       writeFileSync(${JSON.stringify(`${pidFile}.tmp`)}, String(child.pid));
       renameSync(${JSON.stringify(`${pidFile}.tmp`)}, ${JSON.stringify(pidFile)});
       setInterval(() => {}, 1000);`,
    );
    const d = deployment();
    const cancel = new AbortController();
    const deploying = exec(argv, { platformId: d.platformId, killGraceMs: 200 }).deploy(d, cancel.signal);
    await untilExists(pidFile);
    cancel.abort(new Error('shutting down'));
    // It settles only once the hook is gone: since the hook ignores SIGTERM, SIGKILL did it.
    await expect(deploying).rejects.toThrow('shutting down');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await vi.waitFor(() => expect(alive(grandchild)).toBe(false), { timeout: 5000, interval: 50 });
  });

  it('caps what it reads from stdout', async () => {
    const d = deployment();
    const argv = hook(`const chunk = 'x'.repeat(1024 * 1024); for (let i = 0; i < 5; i++) process.stdout.write(chunk);`);
    await expect(exec(argv, { platformId: d.platformId }).deploy(d)).rejects.toThrow(
      `The exec hook printed more than 1048576 bytes while it tried to deploy instance ${d.instance.id}.`,
    );
  });

  it('does not wait for a background process the hook left holding its output', async () => {
    const pidFile = join(dir, `daemon-${randomUUID()}.pid`);
    const argv = hook(
      `import { spawn } from 'node:child_process'; import { writeFileSync } from 'node:fs';
       const daemon = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
       writeFileSync(${JSON.stringify(pidFile)}, String(daemon.pid));
       daemon.unref();
       console.log(JSON.stringify({ workloads: [{ pid: daemon.pid }] }));`,
    );
    const d = deployment();
    try {
      const report = await exec(argv, { platformId: d.platformId }).deploy(d);
      expect(report.workloads).toEqual([{ pid: Number(readFileSync(pidFile, 'utf8')) }]);
    } finally {
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    }
  });

  it('removes: exit 0 is done, anything else fails', async () => {
    const id = randomUUID();
    await expect(exec(hook(`if (process.env.HSP_ACTION !== 'remove' || JSON.parse(input).instance_id !== process.env.HSP_INSTANCE_ID) process.exit(9);`)).remove(id)).resolves.toBeUndefined();
    await expect(exec(hook(`console.error('no such unit'); process.exit(1);`)).remove(id)).rejects.toThrow(`The exec hook failed to remove instance ${id}: it exited with code 1 (no such unit).`);
    await expect(exec(hook('')).remove('../../etc/passwd')).rejects.toThrow('Cannot remove instance "../../etc/passwd": it is not a UUID.');
  });

  describe('list', () => {
    it('reads a JSON array of instance ids', async () => {
      const [a, b] = [randomUUID(), randomUUID().toUpperCase()];
      const argv = hook(`if (process.env.HSP_ACTION !== 'list' || process.env.HSP_INSTANCE_ID !== undefined) process.exit(9); console.log(JSON.stringify([${JSON.stringify(a)}, ${JSON.stringify(b)}]));`);
      expect(await exec(argv).list()).toEqual([{ instanceId: a }, { instanceId: b.toLowerCase() }]);
    });

    it.each([
      ['exits non-zero', `console.log('[]'); process.exit(2);`, 'it exited with code 2'],
      ['prints nothing', ``, 'the hook printed nothing'],
      ['prints something else', `console.log('running: 3');`, 'the hook did not print JSON'],
      ['prints an object', `console.log('{}');`, 'the hook did not print a JSON array'],
      ['lists a path instead of an id', `console.log(JSON.stringify(['../../etc']));`, 'the hook listed "../../etc", which is not an instance id'],
    ])('cannot tell when the hook %s, and says why', async (_name, source, reason) => {
      const orchestrator = exec(hook(source));
      expect(await orchestrator.list()).toBeUndefined();
      expect(orchestrator.logs).toEqual([{ event: 'exec.list_unavailable', fields: { reason } }]);
    });

    it('an empty array means nothing runs', async () => {
      expect(await exec(hook(`console.log('[]');`)).list()).toEqual([]);
    });
  });

  it('needs a command', async () => {
    await expect(createOrchestrator('exec', { log, platformId: randomUUID() })).rejects.toThrow(InvalidArgumentError);
    await expect(createOrchestrator('exec', { log, platformId: randomUUID(), exec: [] })).rejects.toThrow('The exec orchestrator needs a command: add --exec /path/to/hook (and its arguments).');
    await expect(createOrchestrator('exec', { log, platformId: 'not-a-uuid', exec: ['/bin/true'] })).rejects.toThrow('The platform id "not-a-uuid" is not a UUID.');
    expect((await createOrchestrator('exec', { log, platformId: randomUUID(), exec: ['/bin/true'] })).name).toBe('exec');
  });
});
