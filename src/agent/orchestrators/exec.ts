/**
 * The exec orchestrator: the operator's own command does the work (Swarm, Nomad, systemd,
 * Ansible, …). It is run as an argv, never through a shell, so nothing from the marketplace
 * can become a command: the action travels as JSON on stdin, and only the action and ids (UUIDs)
 * as environment variables.
 *
 * The hook's contract:
 * - stdin: `{"action", "instance_id", "platform_id", "deployment"}` (`deployment` on deploy only;
 *   its `image` is `name@sha256:…` and `image_digest` the digest when the build pins one);
 * - environment: the agent's, minus anything secret-looking, plus `HSP_ACTION`
 *   (`deploy`, `remove` or `list`), `HSP_INSTANCE_ID` and `HSP_PLATFORM_ID`;
 * - `deploy`: exit 0 when the instance runs; a JSON object on stdout, if any, goes into the
 *   report (its `workloads`, a list of objects, and any other keys it likes). Its `endpoints`,
 *   if any, say where the platform's other instances reach this one (autowiring hands them
 *   on): a list of `{task, port, host, url}`; each one that is not valid is left out, with a
 *   log line, and the deploy still counts;
 * - `remove`: exit 0 when the instance is gone (or was never there);
 * - `list`: a JSON array of the instance ids it runs; exiting non-zero or printing nothing
 *   means "cannot tell", and the agent then trusts what it last reported.
 *
 * Each run is the leader of its own process group, so that stopping it stops all it started.
 * With a state folder, a deploy or remove also holds the instance's lock (hook-locks.ts) while
 * its hook runs: a hook outlives an agent killed with SIGKILL, and the next agent waits for it,
 * or ends it, before it runs another for the same instance.
 */
import { spawn } from 'node:child_process';
import { isIP } from 'node:net';
import { imageOf, isUuid, taskPlansOf } from '../deployment.js';
import { HookLocks, type HeldLock } from '../hook-locks.js';
import type { AgentLog, Deployment, DeploymentReport, Endpoint, Orchestrator, Workload } from '../orchestrator.js';
import { OrchestratorError, oneLine } from './orchestrator-error.js';

export type ExecAction = 'deploy' | 'remove' | 'list';

export interface ExecOrchestratorOptions {
  /** The command and its arguments, exactly as given (no shell). */
  argv: readonly string[];
  platformId: string;
  log: AgentLog;
  /** How long one run may take before its process group is stopped; deploys may pull images. */
  timeoutMs?: number;
  /** After SIGTERM on a timeout, how long before SIGKILL. */
  killGraceMs?: number;
  /** The environment to pass on, filtered (default: the agent's). */
  env?: NodeJS.ProcessEnv;
  /** Stdout beyond this is a failure (it is not read into memory). */
  maxOutputBytes?: number;
  /**
   * The agent's state folder (agent-state.ts), where each running hook holds its instance's
   * lock. Without it, nothing guards against a hook left running by an agent that crashed.
   */
  stateDir?: string;
  /** How long a hook left running by an earlier agent may go on before it is ended (the grace period). */
  orphanWaitMs?: number;
}

export const EXEC_DEFAULTS = {
  timeoutMs: 5 * 60_000,
  killGraceMs: 5_000,
  maxOutputBytes: 1024 * 1024,
  orphanWaitMs: 30_000,
  /** A hook's report must fit in the instance's `launch_bindings` beside the operator's input. */
  maxReportBytes: 16 * 1024,
  /** The longest endpoint URL taken from a hook (the longest URL every HTTP client handles). */
  maxEndpointUrl: 2_000,
  /** The longest task name taken in an endpoint. */
  maxEndpointTask: 255,
} as const;

/** Names that usually hold credentials: the agent's own token and its key never reach a hook. */
const SECRET_NAME = /TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|AUTH|COOKIE|DATABASE_URL|DSN$|_KEY$|_KEY_FILE$/i;

/** The agent's environment without anything secret-looking. */
export function hookEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !SECRET_NAME.test(name)) kept[name] = value;
  }
  return kept;
}

interface HookRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stdoutOverflow: boolean;
  stderrTail: string;
  timedOut: boolean;
}

export class ExecOrchestrator implements Orchestrator {
  readonly name = 'exec';
  private readonly options: Required<Omit<ExecOrchestratorOptions, 'env' | 'stateDir' | 'orphanWaitMs'>> & { env: Record<string, string> };
  private readonly locks: HookLocks | undefined;

  constructor(options: ExecOrchestratorOptions) {
    if (options.argv.length === 0 || options.argv[0] === '') throw new OrchestratorError('The exec orchestrator needs a command to run.');
    this.options = {
      argv: [...options.argv],
      platformId: options.platformId.toLowerCase(),
      log: options.log,
      timeoutMs: options.timeoutMs ?? EXEC_DEFAULTS.timeoutMs,
      killGraceMs: options.killGraceMs ?? EXEC_DEFAULTS.killGraceMs,
      maxOutputBytes: options.maxOutputBytes ?? EXEC_DEFAULTS.maxOutputBytes,
      env: hookEnvironment(options.env ?? process.env),
    };
    this.locks =
      options.stateDir === undefined
        ? undefined
        : new HookLocks({
            dir: options.stateDir,
            log: options.log,
            waitMs: options.orphanWaitMs ?? EXEC_DEFAULTS.orphanWaitMs,
            hookTimeoutMs: this.options.timeoutMs,
            killGraceMs: this.options.killGraceMs,
          });
  }

  /**
   * Looks for hooks an earlier run of the agent left running and starts waiting for (or ending)
   * them in the background; actions on their instances wait until that is done. Resolves once
   * the state folder has been read. Runs by itself before the first deploy or remove if not called.
   */
  async recover(): Promise<void> {
    await this.locks?.recover();
  }

  async list(signal?: AbortSignal): Promise<Workload[] | undefined> {
    const run = await this.run('list', undefined, undefined, signal);
    const unavailable = (reason: string) => {
      this.options.log('exec.list_unavailable', { reason });
      return undefined;
    };
    if (run.timedOut) return unavailable(`the hook did not finish within ${seconds(this.options.timeoutMs)}`);
    if (run.code !== 0) return unavailable(exitReason(run));
    if (run.stdoutOverflow) return unavailable(`the hook printed more than ${this.options.maxOutputBytes} bytes`);
    if (run.stdout.trim() === '') return unavailable('the hook printed nothing');
    let ids: unknown;
    try {
      ids = JSON.parse(run.stdout);
    } catch {
      return unavailable('the hook did not print JSON');
    }
    if (!Array.isArray(ids)) return unavailable('the hook did not print a JSON array');
    const bad = ids.find((id) => !isUuid(id));
    if (bad !== undefined) return unavailable(`the hook listed ${JSON.stringify(bad)?.slice(0, 60)}, which is not an instance id`);
    return [...new Set((ids as string[]).map((id) => id.toLowerCase()))].map((instanceId) => ({ instanceId }));
  }

  async deploy(deployment: Deployment, signal?: AbortSignal): Promise<DeploymentReport> {
    const instanceId = deployment.instance.id.toLowerCase();
    const run = await this.run('deploy', instanceId, deployment, signal);
    this.failUnlessSucceeded(run, `deploy instance ${instanceId}`);
    const output = run.stdout.trim();
    let extra: Record<string, unknown> = {};
    if (output !== '') {
      if (Buffer.byteLength(output) > EXEC_DEFAULTS.maxReportBytes) {
        throw new OrchestratorError(`The exec hook deployed instance ${instanceId} but printed ${Buffer.byteLength(output)} bytes; a report of at most ${EXEC_DEFAULTS.maxReportBytes} fits in launch_bindings.`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(output);
      } catch {
        throw new OrchestratorError(`The exec hook deployed instance ${instanceId} but its output is not JSON: ${JSON.stringify(oneLine(output, 80))}.`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new OrchestratorError(`The exec hook deployed instance ${instanceId} but its output is not a JSON object.`);
      }
      extra = parsed as Record<string, unknown>;
    }
    const workloads = extra.workloads ?? [];
    if (!Array.isArray(workloads) || !workloads.every((w) => w !== null && typeof w === 'object' && !Array.isArray(w))) {
      throw new OrchestratorError(`The exec hook deployed instance ${instanceId} but its "workloads" is not a list of objects.`);
    }
    // Checked here: other instances' environments are made of them (autowiring).
    const endpoints = extra.endpoints === undefined ? {} : { endpoints: this.checkedEndpoints(extra.endpoints, instanceId) };
    // The agent's keys come last: a hook cannot claim another fingerprint than the one deployed.
    return { ...extra, orchestrator: this.name, fingerprint: deployment.fingerprint, workloads: workloads as Record<string, unknown>[], ...endpoints };
  }

  /** The hook's endpoints that are valid; each one left out gets a log line saying why. */
  private checkedEndpoints(value: unknown, instanceId: string): Endpoint[] {
    if (!Array.isArray(value)) {
      this.options.log('exec.endpoints_ignored', { level: 'warn', instance_id: instanceId, reason: '"endpoints" is not a list' });
      return [];
    }
    const kept: Endpoint[] = [];
    for (const [index, item] of value.entries()) {
      const problem = endpointProblem(item);
      if (problem === undefined) {
        const { task, port, host, url } = item as Endpoint;
        kept.push({ task, port, host, url });
      } else {
        this.options.log('exec.endpoint_ignored', { level: 'warn', instance_id: instanceId, index, reason: problem });
      }
    }
    return kept;
  }

  async remove(instanceId: string, signal?: AbortSignal): Promise<void> {
    if (!isUuid(instanceId)) throw new OrchestratorError(`Cannot remove instance ${JSON.stringify(String(instanceId).slice(0, 60))}: it is not a UUID.`);
    const run = await this.run('remove', instanceId.toLowerCase(), undefined, signal);
    this.failUnlessSucceeded(run, `remove instance ${instanceId.toLowerCase()}`);
  }

  private failUnlessSucceeded(run: HookRun, what: string): void {
    if (run.timedOut) throw new OrchestratorError(`The exec hook did not ${what} within ${seconds(this.options.timeoutMs)} and was stopped.`);
    if (run.code !== 0) throw new OrchestratorError(`The exec hook failed to ${what}: ${exitReason(run)}.`);
    if (run.stdoutOverflow) throw new OrchestratorError(`The exec hook printed more than ${this.options.maxOutputBytes} bytes while it tried to ${what}.`);
  }

  /**
   * Runs the hook once; resolves with how it ended (rejects only when it cannot be started, is
   * aborted, or an earlier agent's hook for the instance could not be ended). A deploy or a
   * remove holds the instance's lock until its hook has exited; a listing runs beside anything.
   */
  private async run(action: ExecAction, instanceId: string | undefined, deployment: Deployment | undefined, signal?: AbortSignal): Promise<HookRun> {
    const lock = instanceId !== undefined && this.locks ? await this.locks.acquire(instanceId, action, signal) : undefined;
    try {
      return await this.spawnHook(action, instanceId, deployment, signal, lock);
    } finally {
      // Before the run settles, so the instance's next action never finds this run's lock.
      await lock?.release();
    }
  }

  private spawnHook(action: ExecAction, instanceId: string | undefined, deployment: Deployment | undefined, signal: AbortSignal | undefined, lock: HeldLock | undefined): Promise<HookRun> {
    const { argv, timeoutMs, killGraceMs, maxOutputBytes, platformId } = this.options;
    const [command, ...args] = argv as [string, ...string[]];
    const stdin = JSON.stringify({ action, instance_id: instanceId ?? null, platform_id: platformId, ...(deployment ? { deployment: deploymentForHook(deployment) } : {}) });
    const env = { ...this.options.env, HSP_ACTION: action, HSP_PLATFORM_ID: platformId, ...(instanceId ? { HSP_INSTANCE_ID: instanceId } : {}) };

    return new Promise<HookRun>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // Its own process group, so a timeout stops everything the hook started, not just the hook.
      const child = spawn(command, args, { shell: false, detached: true, env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let stdoutOverflow = false;
      let stderrTail = '';
      let timedOut = false;
      let settled = false;
      let graceTimer: NodeJS.Timeout | undefined;
      let failure: Error | undefined;

      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          // Already gone.
        }
      };
      const stop = () => {
        killGroup('SIGTERM');
        graceTimer = setTimeout(() => killGroup('SIGKILL'), killGraceMs);
        graceTimer.unref();
      };
      if (lock && child.pid !== undefined) {
        try {
          // In the same turn as the spawn: an agent killed from here on leaves a lock naming the hook.
          lock.started(child.pid);
        } catch (error) {
          // A hook nobody could find after a crash must not run: stopped before it does anything.
          failure = new OrchestratorError(`The exec hook was stopped: its run could not be recorded in the agent's state folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
          killGroup('SIGKILL');
        }
      }
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, timeoutMs);
      const onAbort = () => stop();
      signal?.addEventListener('abort', onAbort, { once: true });

      const finish = (code: number | null, exitSignal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        signal?.removeEventListener('abort', onAbort);
        child.stdout.destroy();
        child.stderr.destroy();
        if (signal?.aborted) return reject(signal.reason);
        if (failure) return reject(failure);
        resolve({ code, signal: exitSignal, stdout: Buffer.concat(stdout).toString('utf8'), stdoutOverflow, stderrTail, timedOut });
      };

      child.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(new OrchestratorError(`The exec hook ${JSON.stringify(command)} could not be started: ${error.code ?? oneLine(error.message, 120)}.`));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        if (stdoutOverflow) return;
        stdoutBytes += chunk.length;
        if (stdoutBytes > maxOutputBytes) {
          stdoutOverflow = true;
          stdout.length = 0;
          return;
        }
        stdout.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
      });
      child.on('exit', (code, exitSignal) => {
        // 'close' waits for stdout to end; a background process the hook left holding it would
        // make that wait forever, so the output the hook wrote before exiting is what counts.
        const closeWait = setTimeout(() => finish(code, exitSignal), 1000);
        closeWait.unref();
        child.once('close', () => {
          clearTimeout(closeWait);
          finish(code, exitSignal);
        });
      });
      // A hook that exits without reading its input is not an error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
    });
  }
}

/** What a hook learns about a deployment: the records, and the tasks as the agent checked them. */
function deploymentForHook(deployment: Deployment): Record<string, unknown> {
  const image = imageOf(deployment);
  return {
    fingerprint: deployment.fingerprint,
    // `name@sha256:…` when the build pins its image: run that, and check the digest it pulls.
    image: image.reference,
    image_digest: image.digest ?? null,
    instance: deployment.instance,
    build: deployment.build,
    configuration: deployment.configuration,
    tasks: taskPlansOf(deployment).map((plan) => ({
      name: plan.name,
      replicas: plan.replicas,
      memory_mib: plan.memoryMiB ?? null,
      ports: plan.ports,
      options: plan.options,
      cron: plan.cron ?? null,
      environment: plan.environment,
    })),
    environment: deployment.environment,
  };
}

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Why a hook's endpoint cannot be used (one phrase naming the field), or undefined when it can. */
export function endpointProblem(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'it is not an object';
  const { task, port, host, url } = item as Record<string, unknown>;
  if (typeof task !== 'string' || task.trim() === '' || task.length > EXEC_DEFAULTS.maxEndpointTask || /\p{Cc}/u.test(task)) {
    return `"task" is not a task name (text of 1 to ${EXEC_DEFAULTS.maxEndpointTask} characters, on one line)`;
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return '"port" is not a whole number from 1 to 65535';
  if (typeof host !== 'string' || (isIP(host) === 0 && !HOST_NAME.test(host))) return '"host" is not a host name or an IP address';
  if (typeof url !== 'string' || url.length > EXEC_DEFAULTS.maxEndpointUrl) return `"url" is not text of at most ${EXEC_DEFAULTS.maxEndpointUrl} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '"url" is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return '"url" is not an http or https URL';
  // Credentials in a URL would land in other instances' environments and in the marketplace.
  if (parsed.username !== '' || parsed.password !== '') return '"url" carries credentials';
  return undefined;
}

function exitReason(run: HookRun): string {
  const how = run.code !== null ? `it exited with code ${run.code}` : `it was killed by ${run.signal ?? 'a signal'}`;
  // The end of stderr is where a failing command says why.
  const flat = oneLine(run.stderrTail, 4096);
  const tail = flat.length > 300 ? `…${flat.slice(-299)}` : flat;
  return tail === '' ? how : `${how} (${tail.replace(/[.]$/, '')})`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
