/**
 * What the agent's end-to-end tests share: a catalogue to deploy from, a log that can be
 * awaited, an orchestrator wrapper that counts calls, and an exec hook that keeps its state in
 * files (and can hold a deploy until the test lets it go).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Agent, type AgentOptions } from '../../../src/agent/agent.js';
import type { AgentLog, Deployment, DeploymentReport, Orchestrator, Workload } from '../../../src/agent/orchestrator.js';
import type { Marketplace, Platform } from '../../../src/index.js';
import type { TestMarketplace, TestUser } from '../../helpers/marketplace.js';

/** Stream settings for a server pinging every 200 ms: quick to notice, quick to come back. */
export const FAST_EVENTS = { pingIntervalMs: 200, backoff: { initialMs: 50, maxMs: 300 }, subscribeTimeoutMs: 5_000 };

export interface LogEntry {
  event: string;
  [field: string]: unknown;
}

/** The agent's log, kept in memory; tests await lines instead of sleeping. */
export class LogRecorder {
  readonly entries: LogEntry[] = [];
  private waiters: { match: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }[] = [];

  readonly log: AgentLog = (event, fields = {}) => {
    // Through JSON, as the real logger writes it: what cannot be serialised would not be seen.
    // `at_ms` (the test process's clock) makes a timed-out wait's dump of the log readable.
    const entry = JSON.parse(JSON.stringify({ event, ...fields, at_ms: Math.round(performance.now()) })) as LogEntry;
    this.entries.push(entry);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.match(entry)) return true;
      waiter.resolve(entry);
      return false;
    });
  };

  /** The first entry from index `from` on that matches, now or when it is logged. */
  waitFor(match: (entry: LogEntry) => boolean, what: string, from = 0, timeoutMs = 15_000): Promise<LogEntry> {
    const found = this.entries.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}; the log so far:\n${this.entries.map((e) => JSON.stringify(e)).join('\n')}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (entry) => {
          clearTimeout(timer);
          resolve(entry);
        },
      });
    });
  }

  /** Entries of this event (and instance, when given). */
  of(event: string, instance?: string): LogEntry[] {
    return this.entries.filter((e) => e.event === event && (instance === undefined || e.instance === instance));
  }

  get length(): number {
    return this.entries.length;
  }
}

/** Counts what the agent asks of the orchestrator it wraps; a deploy can be held at a gate. */
export class CountingOrchestrator implements Orchestrator {
  readonly deploys = new Map<string, number>();
  readonly removes = new Map<string, number>();
  lists = 0;
  /** While set, every deploy waits for it after it has started. */
  gate: Promise<void> | undefined;
  private startedWaiters: ((id: string) => void)[] = [];

  constructor(private readonly inner: Orchestrator) {}

  get name(): string {
    return this.inner.name;
  }

  list(signal?: AbortSignal): Promise<Workload[] | undefined> {
    this.lists++;
    return this.inner.list(signal);
  }

  async deploy(deployment: Deployment, signal?: AbortSignal): Promise<DeploymentReport> {
    const id = deployment.instance.id;
    this.deploys.set(id, (this.deploys.get(id) ?? 0) + 1);
    for (const resolve of this.startedWaiters.splice(0)) resolve(id);
    if (this.gate) {
      const gate = this.gate;
      await new Promise<void>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        void gate.then(resolve);
      });
    }
    return this.inner.deploy(deployment, signal);
  }

  async remove(instanceId: string, signal?: AbortSignal): Promise<void> {
    this.removes.set(instanceId, (this.removes.get(instanceId) ?? 0) + 1);
    return this.inner.remove(instanceId, signal);
  }

  /** Resolves with the id of the next deploy to start. */
  nextDeploy(): Promise<string> {
    return new Promise((resolve) => this.startedWaiters.push(resolve));
  }

  get totalDeploys(): number {
    return [...this.deploys.values()].reduce((a, b) => a + b, 0);
  }
}

export interface Catalogue {
  productId: string;
  buildId: string;
}

/**
 * A published product with one build to deploy: image `example/app:1.0.0`, a "default"
 * configuration with one task (two variables, a port, a memory limit).
 */
export async function deployableBuild(m: TestMarketplace, options: { repository?: string; tag?: string; name?: string } = {}): Promise<Catalogue> {
  const product = await m.admin.products.create({ name: options.name ?? `Agent app ${Math.random().toString(36).slice(2)}` });
  await m.admin.products.publish(product.id);
  const build = await m.admin.builds.create(product.id, { version: '1.0.0', container_repository: options.repository ?? 'example/app', container_tag: options.tag ?? '1.0.0' });
  const configuration = await m.admin.configurations.create(product.id, build.id, { name: 'default' });
  await m.admin.tasks.create(product.id, build.id, configuration.id, {
    name: 'web',
    minimum: 1,
    memory: 256,
    ports: [8080],
    environment: [
      { key: 'PORT', description: 'where to listen', default: '8080' },
      { key: 'GREETING', description: 'what to say', default: 'hello' },
    ],
  });
  return { productId: product.id, buildId: build.id };
}

export interface RunningAgent {
  agent: Agent;
  logs: LogRecorder;
  orchestrator: CountingOrchestrator;
}

/** Starts an agent for the platform and resolves once its first reconcile is done. */
export async function startAgent(
  owner: TestUser | { client: Marketplace },
  platform: Platform,
  inner: Orchestrator,
  options: Partial<AgentOptions> & { logs?: LogRecorder } = {},
): Promise<RunningAgent> {
  const logs = options.logs ?? new LogRecorder();
  const orchestrator = new CountingOrchestrator(inner);
  const from = logs.length;
  const agent = new Agent({ client: owner.client, platform, orchestrator, log: logs.log, events: FAST_EVENTS, retry: { initialMs: 100, maxMs: 1_000 }, ...options });
  await agent.start();
  await logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', from);
  return { agent, logs, orchestrator };
}

/**
 * An exec hook for tests, run as `node hook.mjs STATE_DIR`: a deployed instance is a file
 * `STATE_DIR/<id>.running` holding its fingerprint; `list` prints those ids; `calls.log` has
 * one line per call. While `STATE_DIR/hold` exists, a deploy writes `started-<id>` and waits
 * for `STATE_DIR/release` before it finishes.
 */
export async function writeHook(dir: string): Promise<string> {
  const path = join(dir, 'hook.mjs');
  await writeFile(
    path,
    `import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const state = process.argv[2];
const action = process.env.HSP_ACTION;
const id = process.env.HSP_INSTANCE_ID;
const input = JSON.parse(readFileSync(0, 'utf8'));
appendFileSync(join(state, 'calls.log'), action + ' ' + (id ?? '-') + '\\n');
if (action === 'list') {
  const ids = readdirSync(state).filter((n) => n.endsWith('.running')).map((n) => n.slice(0, -'.running'.length));
  process.stdout.write(JSON.stringify(ids));
} else if (action === 'deploy') {
  if (existsSync(join(state, 'hold'))) {
    writeFileSync(join(state, 'started-' + id), '');
    while (!existsSync(join(state, 'release'))) await new Promise((r) => setTimeout(r, 20));
  }
  writeFileSync(join(state, id + '.running'), input.deployment.fingerprint);
  process.stdout.write(JSON.stringify({ workloads: [{ pid: process.pid, image: input.deployment.image }] }));
} else if (action === 'remove') {
  rmSync(join(state, id + '.running'), { force: true });
}
`,
  );
  await chmod(path, 0o755);
  return path;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface AgentProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Its stdout's JSON log lines, as they come. */
  logs: LogRecorder;
  exited: Promise<AgentExit>;
}

const BIN = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin', 'hsp');

/**
 * `hsp agent listen …` as operators run it: the built bin/hsp (`npm test` builds dist/ first) in
 * a child process, with none of this machine's HSP_ variables or DOCKER_HOST, plus `env`.
 */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv): AgentProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_') && name !== 'DOCKER_HOST'));
  const child = spawn(process.execPath, [BIN, 'agent', 'listen', ...args], { cwd: join(BIN, '..', '..'), env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = new LogRecorder();
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const { event, ...fields } = JSON.parse(line) as { event: string };
      logs.log(event, fields);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<AgentExit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, logs, exited };
}
