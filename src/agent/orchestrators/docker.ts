/**
 * The docker orchestrator: each instance is a set of containers on the local Docker Engine,
 * one per replica of each long-running task of the build's default configuration. Labels tie
 * the containers to their platform, instance, build and fingerprint, so `list` can tell what
 * runs and `deploy` can tell when nothing needs to change.
 *
 * Two deploys of one instance never overlap, though the Engine does not see to it (container
 * names carry a fresh suffix per attempt, so two attempts would not collide): within the agent
 * the KeyedQueue runs one action per instance; across agents, the lock in the agent's state
 * folder allows one per platform on a host (agent-state.ts). Unlike an exec hook, nothing
 * here outlives an agent that crashes: each step is one Engine call. What a crash leaves is at
 * most a partial set of labelled containers, which the instance's next deploy retires with the
 * rest of its old containers.
 *
 * What happens to the containers behind the agent's back (`docker kill`, `docker rm`) reaches
 * the agent through the Engine's event stream (`watch`): a container of the platform that
 * stops or goes, unless this orchestrator stopped or removed it, makes the agent reconcile, and
 * `list` then reports the instance as degraded, to be deployed again.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { imageOf, isUuid, taskPlansOf, type TaskPlan } from '../deployment.js';
import type { AgentLog, Deployment, DeploymentReport, Orchestrator, Workload } from '../orchestrator.js';
import { checkPulledDigest } from '../pinned-image.js';
import { DockerEngine, short, type ContainerCreateBody, type ContainerInspect, type ContainerSummary, type EngineEvent } from './docker-engine.js';
import { OrchestratorError } from './orchestrator-error.js';

export const LABELS = {
  platform: 'org.hl7.hsp.platform',
  instance: 'org.hl7.hsp.instance',
  build: 'org.hl7.hsp.build',
  fingerprint: 'org.hl7.hsp.fingerprint',
  task: 'org.hl7.hsp.task',
  /** How many containers the deployment made: a missing one means the instance must be redeployed. */
  workloads: 'org.hl7.hsp.workloads',
  replica: 'org.hl7.hsp.replica',
} as const;

/** The specification's limit for a product's containers to stop (STU2). */
export const STOP_TIMEOUT_SECONDS = 15;

/**
 * Container states in which a container counts as deployed: running, or left to the Engine
 * (its restart policy brings it back; an operator paused it). Any other (`created`, `exited`,
 * `dead`, `removing`) means the instance must be deployed again.
 */
const DEPLOYED_STATES = new Set(['running', 'restarting', 'paused']);

/** Container ids remembered as this orchestrator's own removals (see `retiring`). */
const MAX_RETIRING = 10_000;

/** After a lost event stream, the first retry waits this long, doubling up to the cap. */
const EVENTS_RETRY_MS = { initial: 500, max: 30_000 };

export interface DockerOrchestratorOptions {
  dockerHost: string;
  platformId: string;
  log: AgentLog;
  signal?: AbortSignal;
}

/** One container as the report describes it. */
interface ContainerReport {
  container_id: string;
  name: string;
  task: string;
  replica: number;
  ports: { container: number; host: number }[];
  [key: string]: unknown;
}

export class DockerOrchestrator implements Orchestrator {
  readonly name = 'docker';
  /**
   * Containers this orchestrator is stopping or has removed: their `die` and `destroy` events
   * are its own doing, not news for the agent. Each id leaves with its `destroy` event (the
   * oldest also when there are too many: events are only followed while the agent watches).
   */
  private readonly retiring = new Set<string>();
  /** Ends the event stream on close. */
  private readonly closing = new AbortController();

  constructor(
    private readonly engine: DockerEngine,
    private readonly platformId: string,
    private readonly log: AgentLog,
  ) {}

  /** Connects to the Engine (negotiating the API version) before the agent takes any event. */
  static async connect(options: DockerOrchestratorOptions): Promise<DockerOrchestrator> {
    const engine = await DockerEngine.connect(options.dockerHost, options.signal);
    options.log('docker.connected', { docker_host: engine.endpoint.host, api_version: engine.apiVersion });
    return new DockerOrchestrator(engine, options.platformId.toLowerCase(), options.log);
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('The docker orchestrator is closing.'));
    await this.engine.close();
  }

  /**
   * Follows the Engine's events for the platform's containers until `signal` aborts (or the
   * orchestrator closes), calling `onChange` when one stops or is removed by someone else, and
   * after the stream was lost and found again (what happened meanwhile is unknown).
   */
  watch(onChange: (reason: string) => void, signal: AbortSignal): void {
    void this.follow(onChange, AbortSignal.any([signal, this.closing.signal]));
  }

  private async follow(onChange: (reason: string) => void, signal: AbortSignal): Promise<void> {
    const filters = { type: ['container'], event: ['die', 'destroy'], label: [`${LABELS.platform}=${this.platformId}`] };
    let connections = 0;
    let attempt = 0;
    while (!signal.aborted) {
      const started = performance.now();
      let reason = 'The Docker Engine ended its event stream.';
      try {
        await this.engine.streamEvents(
          filters,
          {
            onConnected: () => {
              if (connections++ > 0) onChange('docker events resumed');
            },
            onEvent: (event) => this.onEngineEvent(event, onChange),
          },
          signal,
        );
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
      if (signal.aborted) return;
      // A stream that lasted starts the backoff over; one that keeps ending at once backs off.
      if (performance.now() - started > EVENTS_RETRY_MS.max) attempt = 0;
      const retryInMs = Math.min(EVENTS_RETRY_MS.max, EVENTS_RETRY_MS.initial * 2 ** attempt++);
      this.log('docker.events_lost', { level: 'warn', reason, retry_in_ms: retryInMs });
      await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private onEngineEvent(event: EngineEvent, onChange: (reason: string) => void): void {
    const id = event.Actor?.ID;
    if (typeof id !== 'string' || event.Type !== 'container') return;
    if (this.retiring.has(id)) {
      if (event.Action === 'destroy') this.retiring.delete(id);
      return;
    }
    const instanceId = event.Actor?.Attributes?.[LABELS.instance];
    this.log('docker.container_changed', { level: 'warn', container: short(id), action: event.Action, ...(isUuid(instanceId) ? { instance_id: instanceId.toLowerCase() } : {}) });
    onChange(`container ${short(id)}: ${String(event.Action)}`);
  }

  async list(signal?: AbortSignal): Promise<Workload[]> {
    const containers = await this.engine.listContainers([`${LABELS.platform}=${this.platformId}`], signal);
    const byInstance = new Map<string, ContainerSummary[]>();
    for (const container of containers) {
      const instanceId = container.Labels?.[LABELS.instance];
      // Not one of ours (or tampered with): never touched.
      if (!isUuid(instanceId)) continue;
      const key = instanceId.toLowerCase();
      byInstance.set(key, [...(byInstance.get(key) ?? []), container]);
    }
    return [...byInstance].map(([instanceId, group]) => {
      const fingerprint = currentFingerprint(group);
      return fingerprint === undefined ? { instanceId, degraded: true } : { instanceId, fingerprint };
    });
  }

  async deploy(deployment: Deployment, signal?: AbortSignal): Promise<DeploymentReport> {
    const instanceId = deployment.instance.id.toLowerCase();
    const plans = taskPlansOf(deployment);
    const longRunning: TaskPlan[] = [];
    for (const plan of plans) {
      // Docker has no scheduler: a cron task is a job to start on a schedule, not a service, and
      // as a container with a restart policy it would run in a loop. Operators who need scheduled
      // tasks use the exec orchestrator with their own scheduler.
      if (plan.cron !== undefined) this.log('docker.cron_task_skipped', { instance_id: instanceId, task: plan.name, cron: plan.cron });
      else longRunning.push(plan);
    }
    const expected = longRunning.reduce((sum, plan) => sum + plan.replicas, 0);

    const existing = await this.containersOf(instanceId, signal);
    if (existing.length === expected && currentFingerprint(existing) === deployment.fingerprint) {
      return this.report(deployment.fingerprint, existing.map((c) => c.Id), signal);
    }

    const image = imageOf(deployment);
    if (expected > 0) await this.engine.pullImage(image.name, image.digest ?? image.tag ?? 'latest', signal);
    if (expected > 0) await checkPulledDigest(this.engine, image, signal);

    // A fresh suffix per attempt: the new containers can run beside the old ones until those go.
    const generation = randomBytes(4).toString('hex');
    const created: string[] = [];
    const starts: string[] = [];
    let report: DeploymentReport;
    try {
      for (const plan of longRunning) {
        for (let replica = 0; replica < plan.replicas; replica++) {
          const name = `hsp-${instanceId}-${generation}-${plan.index}-${replica}`;
          created.push(await this.engine.createContainer(name, this.containerBody(deployment, image.reference, plan, replica, expected), signal));
          starts.push(`task ${JSON.stringify(plan.name)}${plan.replicas > 1 ? ` (replica ${replica})` : ''}`);
        }
      }
      // Named by task, not by the new container's id: the same failure on a retry reads the same.
      for (const [index, id] of created.entries()) await this.engine.startContainer(id, signal, `start the container of ${starts[index]}`);
      report = await this.report(deployment.fingerprint, created, signal);
    } catch (error) {
      await this.discard(created, instanceId, 'docker.cleanup_failed');
      throw error;
    }

    // The old containers go only once the new ones run, so an update never leaves the instance down.
    if (existing.length > 0) {
      await this.discard(
        existing.map((c) => c.Id),
        instanceId,
        'docker.retire_failed',
      );
    }
    this.log('docker.deployed', { instance_id: instanceId, image: image.reference, containers: created.length, replaced: existing.length, fingerprint: deployment.fingerprint });
    return report;
  }

  async remove(instanceId: string, signal?: AbortSignal): Promise<void> {
    if (!isUuid(instanceId)) throw new OrchestratorError(`Cannot remove instance ${JSON.stringify(String(instanceId).slice(0, 60))}: it is not a UUID.`);
    const containers = await this.containersOf(instanceId.toLowerCase(), signal);
    const results = await Promise.allSettled(containers.map((c) => this.stopAndRemove(c.Id, signal)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (containers.length > 0) this.log('docker.removed', { instance_id: instanceId.toLowerCase(), containers: containers.length });
  }

  private containersOf(instanceId: string, signal?: AbortSignal): Promise<ContainerSummary[]> {
    return this.engine.listContainers([`${LABELS.platform}=${this.platformId}`, `${LABELS.instance}=${instanceId}`], signal);
  }

  private containerBody(deployment: Deployment, image: string, plan: TaskPlan, replica: number, expected: number): ContainerCreateBody {
    const portKeys = plan.ports.map((port) => `${port}/tcp`);
    return {
      Image: image,
      Env: Object.keys(plan.environment)
        .sort()
        .map((key) => `${key}=${plan.environment[key]}`),
      ...(plan.options.length > 0 ? { Cmd: plan.options } : {}),
      Labels: {
        [LABELS.platform]: this.platformId,
        [LABELS.instance]: deployment.instance.id.toLowerCase(),
        [LABELS.build]: deployment.build.id.toLowerCase(),
        [LABELS.fingerprint]: deployment.fingerprint,
        [LABELS.task]: plan.name,
        [LABELS.workloads]: String(expected),
        [LABELS.replica]: String(replica),
      },
      ExposedPorts: Object.fromEntries(portKeys.map((key) => [key, {}])),
      StopTimeout: STOP_TIMEOUT_SECONDS,
      HostConfig: {
        ...(plan.memoryMiB === undefined ? {} : { Memory: plan.memoryMiB * 1024 * 1024 }),
        // An empty host port lets Docker choose a free one; the report says which it chose.
        PortBindings: Object.fromEntries(portKeys.map((key) => [key, [{ HostIp: '', HostPort: '' }]])),
        RestartPolicy: { Name: 'unless-stopped' },
      },
    };
  }

  private async report(fingerprint: string, ids: string[], signal?: AbortSignal): Promise<DeploymentReport> {
    const workloads: ContainerReport[] = [];
    for (const id of ids) workloads.push(containerReport(await this.engine.inspectContainer(id, signal)));
    workloads.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { orchestrator: this.name, fingerprint, workloads };
  }

  /** Stops and removes containers, logging (not throwing) failures: used on paths that already have an outcome. */
  private async discard(ids: string[], instanceId: string, event: string): Promise<void> {
    // No signal: what was created must go even when the deploy was cancelled.
    const results = await Promise.allSettled(ids.map((id) => this.stopAndRemove(id)));
    for (const result of results) {
      if (result.status === 'rejected') this.log(event, { instance_id: instanceId, error: result.reason instanceof Error ? result.reason.message : String(result.reason) });
    }
  }

  private async stopAndRemove(id: string, signal?: AbortSignal): Promise<void> {
    if (this.retiring.size >= MAX_RETIRING) this.retiring.delete(this.retiring.values().next().value!);
    this.retiring.add(id);
    await this.engine.stopContainer(id, STOP_TIMEOUT_SECONDS, signal);
    await this.engine.removeContainer(id, signal);
  }
}

/** The fingerprint an instance's containers run with, when all of them agree, all are deployed (see DEPLOYED_STATES), and none is missing. */
function currentFingerprint(containers: ContainerSummary[]): string | undefined {
  const fingerprints = new Set(containers.map((c) => c.Labels?.[LABELS.fingerprint]));
  const counts = new Set(containers.map((c) => c.Labels?.[LABELS.workloads]));
  if (containers.length === 0 || fingerprints.size !== 1 || counts.size !== 1) return undefined;
  if (Number([...counts][0]) !== containers.length || !containers.every((c) => DEPLOYED_STATES.has(c.State))) return undefined;
  return [...fingerprints][0];
}

function containerReport(container: ContainerInspect): ContainerReport {
  const ports = new Map<string, { container: number; host: number }>();
  for (const [key, bindings] of Object.entries(container.NetworkSettings?.Ports ?? {})) {
    const containerPort = Number.parseInt(key, 10);
    for (const binding of bindings ?? []) {
      const host = Number.parseInt(binding.HostPort, 10);
      if (Number.isInteger(containerPort) && Number.isInteger(host)) ports.set(`${containerPort}:${host}`, { container: containerPort, host });
    }
  }
  const labels = container.Config?.Labels ?? {};
  return {
    container_id: container.Id,
    name: container.Name.replace(/^\//, ''),
    task: labels[LABELS.task] ?? '',
    replica: Number(labels[LABELS.replica] ?? 0),
    ports: [...ports.values()],
  };
}
