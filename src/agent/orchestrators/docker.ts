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
 *
 * The platform's instances share a user-defined bridge network, `hsp-<platform id>`, made when
 * first needed and labelled as the agent's. On it, the Engine's DNS resolves each task's alias
 * (on the task's first replica; see `aliasOf`), which the report gives as the task's endpoints:
 * how the platform's other instances reach it (autowiring hands them on). The network stays
 * when the platform's last instance goes: it costs nothing empty, and removing it could pull it
 * from under a deploy that has just found it. Containers deployed before there was a network
 * are not recreated for it: `list` reports them as degraded, and the agent's deploy attaches
 * them to it where they run.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { imageOf, isUuid, taskPlansOf, type TaskPlan } from '../deployment.js';
import type { AgentLog, Deployment, DeploymentReport, Endpoint, Orchestrator, Workload } from '../orchestrator.js';
import { checkPulledDigest } from '../pinned-image.js';
import { DockerEngine, short, type ContainerCreateBody, type ContainerInspect, type ContainerSummary, type EndpointSettings, type EngineEvent, type NetworkSummary } from './docker-engine.js';
// The same task keys as the kubernetes orchestrator's object names (a pure module: no client).
import { taskKeysOf } from './kubernetes-manifests.js';
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

/** The platform's network: `hsp-<platform id>`. */
export function networkNameOf(platformId: string): string {
  return `hsp-${platformId.toLowerCase()}`;
}

/**
 * The network alias of a task's first replica: `<task key>-<last 12 hex digits of the instance
 * id>`, e.g. `web-3c2a1b0f-9f8e7d6c5b4a`. Short enough to read in a wired URL, a valid DNS label
 * (at most 35 characters), stable across redeploys (new containers take it over from the old
 * ones), distinct per task of an instance (the key's hash) and per instance (the random end of
 * its UUID, random in version 4 and 7 alike).
 */
export function aliasOf(instanceId: string, taskKey: string): string {
  return `${taskKey}-${instanceId.toLowerCase().replace(/-/g, '').slice(-12)}`;
}

/** `hsp-<instance>-<generation>-<task index>-<replica>`: the name every container of a deploy gets. */
const CONTAINER_NAME = /^\/?hsp-[0-9a-f-]{36}-[0-9a-f]{8}-(\d+)-(\d+)$/;

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
  /** The look for (or creation of) the platform's network in progress, shared by concurrent deploys. */
  private networkLookup: Promise<string> | undefined;

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
    const network = networkNameOf(this.platformId);
    return [...byInstance].map(([instanceId, group]) => {
      const fingerprint = currentFingerprint(group);
      // Off the platform's network (deployed before there was one, or disconnected by hand), the
      // instance is unreachable for the others: its deploy attaches it again.
      const reachable = group.every((c) => c.NetworkSettings?.Networks?.[network] !== undefined);
      return fingerprint === undefined || !reachable ? { instanceId, degraded: true } : { instanceId, fingerprint };
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
    const keys = taskKeysOf(plans);
    const aliases = (plan: TaskPlan, replica: number) => (replica === 0 ? [aliasOf(instanceId, keys[plan.index]!)] : []);
    const endpoints = longRunning.flatMap((plan) => endpointsOf(plan, aliasOf(instanceId, keys[plan.index]!)));

    const existing = await this.containersOf(instanceId, signal);
    if (existing.length === expected && currentFingerprint(existing) === deployment.fingerprint) {
      const running = await this.inspectAll(existing.map((c) => c.Id), signal);
      await this.attach(running, plans, aliases, instanceId, signal);
      return this.report(deployment.fingerprint, running, endpoints);
    }

    const image = imageOf(deployment);
    if (expected > 0) await this.engine.pullImage(image.name, image.digest ?? image.tag ?? 'latest', signal);
    if (expected > 0) await checkPulledDigest(this.engine, image, signal);
    if (expected > 0) await this.network();

    // A fresh suffix per attempt: the new containers can run beside the old ones until those go.
    const generation = randomBytes(4).toString('hex');
    const created: string[] = [];
    const starts: string[] = [];
    let report: DeploymentReport;
    try {
      for (const plan of longRunning) {
        for (let replica = 0; replica < plan.replicas; replica++) {
          const name = `hsp-${instanceId}-${generation}-${plan.index}-${replica}`;
          created.push(await this.engine.createContainer(name, this.containerBody(deployment, image.reference, plan, replica, expected, aliases(plan, replica)), signal));
          starts.push(`task ${JSON.stringify(plan.name)}${plan.replicas > 1 ? ` (replica ${replica})` : ''}`);
        }
      }
      // Named by task, not by the new container's id: the same failure on a retry reads the same.
      for (const [index, id] of created.entries()) await this.engine.startContainer(id, signal, `start the container of ${starts[index]}`);
      report = this.report(deployment.fingerprint, await this.inspectAll(created, signal), endpoints);
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

  /**
   * The platform network's id, made when missing. One look at a time per orchestrator, so this
   * agent's concurrent deploys never create it twice. Engines before API 1.44 still create two
   * of one name when two processes create it at the same moment (their duplicate check is not
   * atomic), and then refuse to start a container on either ("ambiguous"): every process keeps
   * the oldest, and removes the others that carry the platform's label (empty, as they are new).
   */
  private network(): Promise<string> {
    this.networkLookup ??= this.findOrCreateNetwork(this.closing.signal).finally(() => {
      this.networkLookup = undefined;
    });
    return this.networkLookup;
  }

  private async findOrCreateNetwork(signal: AbortSignal): Promise<string> {
    const name = networkNameOf(this.platformId);
    let networks = await this.engine.listNetworks(name, signal);
    if (networks.length === 0) {
      // A 409 (someone made it meanwhile) is as good as a 201: it is there either way.
      if (await this.engine.createNetwork(name, { [LABELS.platform]: this.platformId }, signal)) this.log('docker.network_created', { network: name });
      networks = await this.engine.listNetworks(name, signal);
      if (networks.length === 0) throw new OrchestratorError(`Docker created network ${name} but does not list it; was it removed at once?`);
    }
    const [kept, ...others] = [...networks].sort(byCreation);
    let left = 0;
    for (const other of others) {
      if (other.Labels?.[LABELS.platform] !== this.platformId) {
        left++;
        continue;
      }
      try {
        await this.engine.removeNetwork(other.Id, signal);
        this.log('docker.network_duplicate_removed', { network: name, removed: short(other.Id), kept: short(kept!.Id) });
      } catch (error) {
        left++;
        this.log('docker.network_duplicate_kept', { network: name, network_id: short(other.Id), error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (left > 0) throw new OrchestratorError(`Docker has ${left + 1} networks named ${name}, so it cannot attach containers to it; remove all but ${short(kept!.Id)} (docker network ls --filter name=${name}).`);
    return kept!.Id;
  }

  /**
   * Attaches running containers to the platform network where they are not on it (deployed
   * before it existed, or disconnected by hand), each first replica with its alias: no new
   * container, no restart.
   */
  private async attach(containers: ContainerInspect[], plans: TaskPlan[], aliases: (plan: TaskPlan, replica: number) => string[], instanceId: string, signal?: AbortSignal): Promise<void> {
    const name = networkNameOf(this.platformId);
    let networkId: string | undefined;
    let attached = 0;
    for (const container of containers) {
      const match = CONTAINER_NAME.exec(container.Name);
      const plan = match ? plans[Number(match[1])] : undefined;
      const wanted = plan ? aliases(plan, Number(match![2])) : [];
      const current: EndpointSettings | null | undefined = container.NetworkSettings?.Networks?.[name];
      if (current && wanted.every((alias) => current.Aliases?.includes(alias))) continue;
      networkId ??= await this.network();
      // Aliases are set when a container joins: one missing its alias joins again.
      if (current) await this.engine.disconnectNetwork(networkId, container.Id, signal);
      await this.engine.connectNetwork(networkId, container.Id, wanted, signal);
      attached++;
    }
    if (attached > 0) this.log('docker.network_attached', { instance_id: instanceId, network: name, containers: attached });
  }

  private containerBody(deployment: Deployment, image: string, plan: TaskPlan, replica: number, expected: number, aliases: string[]): ContainerCreateBody {
    const portKeys = plan.ports.map((port) => `${port}/tcp`);
    const network = networkNameOf(this.platformId);
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
        NetworkMode: network,
      },
      NetworkingConfig: { EndpointsConfig: { [network]: aliases.length > 0 ? { Aliases: aliases } : {} } },
    };
  }

  private async inspectAll(ids: string[], signal?: AbortSignal): Promise<ContainerInspect[]> {
    const containers: ContainerInspect[] = [];
    for (const id of ids) containers.push(await this.engine.inspectContainer(id, signal));
    return containers;
  }

  private report(fingerprint: string, containers: ContainerInspect[], endpoints: Endpoint[]): DeploymentReport {
    const workloads = containers.map(containerReport);
    workloads.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { orchestrator: this.name, fingerprint, workloads, endpoints };
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

/** A task's ports at its alias on the platform network (plain HTTP inside the platform, as the specification has it). */
function endpointsOf(plan: TaskPlan, alias: string): Endpoint[] {
  if (plan.replicas < 1) return [];
  return plan.ports.map((port) => ({ task: plan.name, port, host: alias, url: `http://${alias}:${port}` }));
}

/** Oldest first (by `Created`, to the nanosecond, then id): every agent keeps the same one of duplicate networks. */
function byCreation(a: NetworkSummary, b: NetworkSummary): number {
  const at = (network: NetworkSummary) => (network.Created ?? '').replace(/^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?/, (_all, base: string, fraction = '') => `${base}.${fraction.padEnd(9, '0')}`);
  const [x, y] = [at(a), at(b)];
  return x < y ? -1 : x > y ? 1 : a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0;
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
