/**
 * The kubernetes orchestrator: each instance is a set of objects in one namespace, a
 * Deployment per long-running task and a Service per task with ports (kubernetes-manifests.ts),
 * all labelled with the platform, instance, build and task, and applied with server-side apply.
 *
 * - `list` reads the platform's objects by label selector. An instance counts as running with a
 *   fingerprint only when all its objects are there, agree, are not being deleted and hold what
 *   was applied to them; otherwise it is degraded, and the agent applies it again, which puts
 *   back what was removed or changed behind its back (drift) and changes nothing else. Objects
 *   of no current instance are the agent's orphans, removed as for docker.
 * - `watch` looks again every resync period (as a controller's informer resyncs) and has the
 *   agent reconcile when an instance became degraded or its objects vanished, so drift is put
 *   right while the agent runs, not only when it starts.
 * - `deploy` applies only the objects that differ from what should run, waits for every
 *   Deployment's rollout (as `kubectl rollout status`: updated, available, no old pods left) up
 *   to the rollout timeout, and only then removes what the instance no longer has (a task
 *   renamed or removed, a task that lost its ports): the old pods keep serving until the new
 *   ones are ready. The report is what the cluster says: ready replicas per task, and each
 *   Service's cluster IP and ports; and, as endpoints, each Service port at the Service's DNS
 *   name in the namespace (`http://<service>.<namespace>.svc:<port>`), which pods of the
 *   platform's other instances resolve wherever they run in the cluster.
 * - `remove` deletes the instance's Deployments and Services (found by label, so whatever a
 *   crashed agent left is found too), with background propagation (kubernetes-client.ts).
 *
 * A rollout that does not finish in time is a failed deploy: the instance is reported as not
 * deployed, its objects stay (Kubernetes keeps trying), and the agent's retry checks again.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { setTimeout as delay } from 'node:timers/promises';
import { imageOf, isUuid } from '../deployment.js';
import type { AgentLog, Deployment, DeploymentReport, Endpoint, Orchestrator, Workload } from '../orchestrator.js';
import { KubernetesClient, type KubernetesClientOptions, type ObjectKind } from './kubernetes-client.js';
import { KUBE_ANNOTATIONS, KUBE_LABELS, manifestsFor, matchesApplied, type LiveObject, type Manifest, type TaskObjects } from './kubernetes-manifests.js';
import { OrchestratorError } from './orchestrator-error.js';

export interface KubernetesOrchestratorOptions extends KubernetesClientOptions {
  platformId: string;
  log: AgentLog;
  /** How long a deploy waits for its Deployments to be rolled out (default 2 minutes). */
  rolloutTimeoutMs?: number;
  /** The longest pause between two looks at a rollout (default 2 s). */
  pollIntervalMs?: number;
  /** How often `watch` looks for changes made behind the agent's back (default 30 s). */
  resyncMs?: number;
  signal?: AbortSignal;
}

export const ROLLOUT_TIMEOUT_MS = 2 * 60_000;
const RESYNC_MS = 30_000;
const POLL_INTERVAL_MS = 2_000;
const FIRST_POLL_MS = 100;

/** One task as the report describes it. */
interface TaskReport {
  task: string;
  deployment: string;
  replicas: number;
  ready_replicas: number;
  service?: { name: string; cluster_ip: string | null; ports: { name: string | null; port: number; target_port: number | string; protocol: string }[] };
  [key: string]: unknown;
}

type Live = (V1Deployment | V1Service) & LiveObject;

export class KubernetesOrchestrator implements Orchestrator {
  readonly name = 'kubernetes';

  private constructor(
    private readonly client: KubernetesClient,
    private readonly platformId: string,
    private readonly log: AgentLog,
    private readonly rolloutTimeoutMs: number,
    private readonly pollIntervalMs: number,
    private readonly resyncMs: number,
  ) {}

  /** Ends `watch`. */
  private readonly closing = new AbortController();
  /** Instances deployed since `watch` last began to look (see `resync`). */
  private deployedSinceLook = new Set<string>();

  /**
   * Reads the configuration and makes a first call (the platform's Deployments and Services),
   * so that an unreachable server, refused credentials or a missing right to list fail at start,
   * before the agent takes any event.
   */
  static async connect(options: KubernetesOrchestratorOptions): Promise<KubernetesOrchestrator> {
    const client = await KubernetesClient.connect(options);
    const platformId = options.platformId.toLowerCase();
    const orchestrator = new KubernetesOrchestrator(
      client,
      platformId,
      options.log,
      options.rolloutTimeoutMs ?? ROLLOUT_TIMEOUT_MS,
      options.pollIntervalMs ?? POLL_INTERVAL_MS,
      options.resyncMs ?? RESYNC_MS,
    );
    await orchestrator.objects(`${KUBE_LABELS.platform}=${platformId}`, options.signal);
    options.log('kubernetes.connected', { server: client.server, namespace: client.namespace, context: client.context, config: client.source });
    return orchestrator;
  }

  get namespace(): string {
    return this.client.namespace;
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('The kubernetes orchestrator is closing.'));
  }

  /**
   * Lists the platform's objects every resync period until `signal` aborts (or the orchestrator
   * closes), and calls `onChange` when an instance became degraded or one vanished since the
   * last look: what someone did with kubectl. An instance that stays degraded is left to the
   * agent's retries; one that appears is the agent's own deploy.
   */
  watch(onChange: (reason: string) => void, signal: AbortSignal): void {
    void this.resync(onChange, AbortSignal.any([signal, this.closing.signal]));
  }

  private async resync(onChange: (reason: string) => void, signal: AbortSignal): Promise<void> {
    // Undefined until the first look: what ran before the agent started is the start's reconcile's.
    let before: Map<string, Workload> | undefined;
    while (!signal.aborted) {
      try {
        await sleep(this.resyncMs, signal);
        // A deploy that ended after the last look began is healthy now, whatever that look saw
        // of it half-applied: drift right after it must not pass for the same old degradation.
        const deployed = this.deployedSinceLook;
        this.deployedSinceLook = new Set();
        const now = new Map((await this.list(signal)).map((workload) => [workload.instanceId, workload]));
        const newlyDegraded = (id: string) => deployed.has(id) || (before !== undefined && !before.get(id)?.degraded);
        const degraded = [...now.values()].filter((w) => w.degraded && newlyDegraded(w.instanceId)).map((w) => w.instanceId);
        const vanished = [...new Set([...(before?.keys() ?? []), ...deployed])].filter((id) => !now.has(id));
        if (degraded.length > 0 || vanished.length > 0) {
          this.log('kubernetes.changed', { degraded, vanished });
          onChange(`kubernetes objects changed (${degraded.length} degraded, ${vanished.length} gone)`);
        }
        before = now;
      } catch (error) {
        if (signal.aborted) return;
        // The next look tries again; meanwhile nothing is known to have changed.
        this.log('kubernetes.resync_failed', { reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  async list(signal?: AbortSignal): Promise<Workload[]> {
    const objects = await this.objects(`${KUBE_LABELS.platform}=${this.platformId}`, signal);
    const byInstance = new Map<string, Live[]>();
    for (const object of objects) {
      const instanceId = object.metadata?.labels?.[KUBE_LABELS.instance];
      // Not one of ours (or tampered with): never touched.
      if (!isUuid(instanceId)) continue;
      const key = instanceId.toLowerCase();
      byInstance.set(key, [...(byInstance.get(key) ?? []), object]);
    }
    return [...byInstance].map(([instanceId, group]) => {
      const fingerprint = currentFingerprint(group);
      return fingerprint === undefined ? { instanceId, degraded: true } : { instanceId, fingerprint };
    });
  }

  async deploy(deployment: Deployment, signal?: AbortSignal): Promise<DeploymentReport> {
    const instanceId = deployment.instance.id.toLowerCase();
    const manifests = manifestsFor(deployment, this.client.namespace);
    for (const plan of manifests.skipped) this.log('kubernetes.cron_task_skipped', { instance_id: instanceId, task: plan.name, cron: plan.cron });

    const existing = new Map((await this.objectsOf(instanceId, signal)).map((object) => [keyOf(object), object]));
    const live = new Map<string, Live>();
    const created: Manifest[] = [];
    let applied = 0;
    try {
      for (const manifest of manifests.objects) {
        const key = keyOf(manifest);
        const current = existing.get(key);
        if (current && upToDate(current, manifest)) {
          live.set(key, current);
          continue;
        }
        live.set(key, await this.client.apply(manifest, signal));
        applied++;
        if (!current) created.push(manifest);
      }
    } catch (error) {
      // As docker discards the containers of a failed attempt: what this attempt created goes;
      // what ran before stays, so a failed update does not take the instance down.
      await this.discard(created, instanceId, 'kubernetes.cleanup_failed');
      throw error;
    }

    const rolledOut = await this.waitForRollouts(manifests.tasks, live, signal);
    const wanted = new Set(manifests.objects.map(keyOf));
    const stale = [...existing.values()].filter((object) => !wanted.has(keyOf(object)));
    await this.discard(stale, instanceId, 'kubernetes.retire_failed');

    this.deployedSinceLook.add(instanceId);
    this.log('kubernetes.deployed', {
      instance_id: instanceId,
      namespace: this.client.namespace,
      image: imageOf(deployment).reference,
      objects: manifests.objects.length,
      applied,
      retired: stale.length,
      fingerprint: deployment.fingerprint,
    });
    return {
      orchestrator: this.name,
      fingerprint: deployment.fingerprint,
      namespace: this.client.namespace,
      workloads: manifests.tasks.map((task) => taskReport(task, rolledOut.get(task.deployment.metadata.name), live.get(task.service ? keyOf(task.service) : ''))),
      endpoints: manifests.tasks.flatMap((task) => endpointsOf(task, this.client.namespace)),
    };
  }

  async remove(instanceId: string, signal?: AbortSignal): Promise<void> {
    if (!isUuid(instanceId)) throw new OrchestratorError(`Cannot remove instance ${JSON.stringify(String(instanceId).slice(0, 60))}: it is not a UUID.`);
    const objects = await this.objectsOf(instanceId.toLowerCase(), signal);
    const results = await Promise.allSettled(objects.map((object) => this.client.delete(object.kind as ObjectKind, object.metadata!.name!, signal)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.deployedSinceLook.delete(instanceId.toLowerCase());
    if (objects.length > 0) this.log('kubernetes.removed', { instance_id: instanceId.toLowerCase(), namespace: this.client.namespace, objects: objects.map(keyOf).sort() });
  }

  /** The Deployments and Services with these labels. */
  private async objects(labelSelector: string, signal?: AbortSignal): Promise<Live[]> {
    const [deployments, services] = await Promise.all([this.client.listDeployments(labelSelector, signal), this.client.listServices(labelSelector, signal)]);
    return [...deployments, ...services] as Live[];
  }

  private objectsOf(instanceId: string, signal?: AbortSignal): Promise<Live[]> {
    return this.objects(`${KUBE_LABELS.platform}=${this.platformId},${KUBE_LABELS.instance}=${instanceId}`, signal);
  }

  /**
   * Waits until every task's Deployment is rolled out, looking again at growing intervals (up
   * to the poll interval); resolves with each Deployment as last seen, by name.
   */
  private async waitForRollouts(tasks: readonly TaskObjects[], live: Map<string, Live>, signal?: AbortSignal): Promise<Map<string, V1Deployment>> {
    const deadline = Date.now() + this.rolloutTimeoutMs;
    const seen = new Map<string, V1Deployment>();
    for (const task of tasks) seen.set(task.deployment.metadata.name, live.get(keyOf(task.deployment)) as V1Deployment);
    let pending = tasks.filter((task) => rollout(seen.get(task.deployment.metadata.name)!) !== 'done');
    let pause = FIRST_POLL_MS;
    while (pending.length > 0) {
      for (const task of pending) {
        const state = rollout(seen.get(task.deployment.metadata.name)!);
        if (typeof state === 'object') throw new OrchestratorError(`Deployment ${task.deployment.metadata.name} (task ${JSON.stringify(task.plan.name)}) failed to roll out: ${state.failed}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const task = pending[0]!;
        const status = seen.get(task.deployment.metadata.name)?.status;
        throw new OrchestratorError(
          `Deployment ${task.deployment.metadata.name} (task ${JSON.stringify(task.plan.name)}) has ${status?.readyReplicas ?? 0} of ${task.plan.replicas} replicas ready after ${describeMs(this.rolloutTimeoutMs)}; Kubernetes keeps trying, and the agent will look again.`,
        );
      }
      await sleep(Math.min(pause, left), signal);
      pause = Math.min(pause * 2, this.pollIntervalMs);
      for (const task of pending) seen.set(task.deployment.metadata.name, await this.client.readDeployment(task.deployment.metadata.name, signal));
      pending = pending.filter((task) => rollout(seen.get(task.deployment.metadata.name)!) !== 'done');
    }
    return seen;
  }

  /** Deletes objects, logging (not throwing) failures: used on paths that already have an outcome. */
  private async discard(objects: readonly (Manifest | Live)[], instanceId: string, event: string): Promise<void> {
    // No signal: what was created must go even when the deploy was cancelled.
    const results = await Promise.allSettled(objects.map((object) => this.client.delete(object.kind as ObjectKind, object.metadata!.name!)));
    for (const result of results) {
      if (result.status === 'rejected') this.log(event, { instance_id: instanceId, error: result.reason instanceof Error ? result.reason.message : String(result.reason) });
    }
  }
}

function keyOf(object: { kind?: string; metadata?: { name?: string } }): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/** Whether a live object already is what the manifest would make it (so applying it would change nothing). */
function upToDate(current: Live, manifest: Manifest): boolean {
  return !current.metadata?.deletionTimestamp && matchesApplied(current) && current.metadata?.annotations?.[KUBE_ANNOTATIONS.applied] === manifest.metadata.annotations[KUBE_ANNOTATIONS.applied];
}

/** The fingerprint an instance's objects run with, when all agree, none is missing or being deleted, and none drifted. */
function currentFingerprint(objects: readonly Live[]): string | undefined {
  const fingerprints = new Set(objects.map((o) => o.metadata?.annotations?.[KUBE_ANNOTATIONS.fingerprint]));
  const counts = new Set(objects.map((o) => o.metadata?.annotations?.[KUBE_ANNOTATIONS.workloads]));
  if (objects.length === 0 || fingerprints.size !== 1 || counts.size !== 1) return undefined;
  if (Number([...counts][0]) !== objects.length) return undefined;
  if (!objects.every((o) => !o.metadata?.deletionTimestamp && matchesApplied(o))) return undefined;
  return [...fingerprints][0];
}

/**
 * Where a Deployment's rollout stands, as `kubectl rollout status` reads it: `done` once the
 * controller has seen the latest spec and every replica is updated and available with no old
 * one left; `waiting` before; `{failed}` when the controller gave up (progress deadline).
 */
function rollout(deployment: V1Deployment): 'done' | 'waiting' | { failed: string } {
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < generation) return 'waiting';
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { failed: progressing.message ? `${progressing.message.replace(/\.$/, '')}.` : 'the progress deadline was exceeded.' };
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < wanted) return 'waiting';
  if ((status.replicas ?? 0) > updated) return 'waiting';
  if ((status.availableReplicas ?? 0) < updated) return 'waiting';
  return 'done';
}

function taskReport(task: TaskObjects, deployment: V1Deployment | undefined, service: Live | undefined): TaskReport {
  const report: TaskReport = {
    task: task.plan.name,
    deployment: task.deployment.metadata.name,
    replicas: deployment?.spec?.replicas ?? task.plan.replicas,
    ready_replicas: deployment?.status?.readyReplicas ?? 0,
  };
  const spec = (service as V1Service | undefined)?.spec;
  if (task.service) {
    report.service = {
      name: task.service.metadata.name,
      cluster_ip: spec?.clusterIP ?? null,
      ports: (spec?.ports ?? []).map((p) => ({ name: p.name ?? null, port: p.port, target_port: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' })),
    };
  }
  return report;
}

/**
 * A task's Service ports at the Service's namespaced DNS name: `<service>.<namespace>.svc`
 * resolves from any namespace (the short name only from the same one), without assuming the
 * cluster's domain (`cluster.local` is only the default).
 */
function endpointsOf(task: TaskObjects, namespace: string): Endpoint[] {
  if (!task.service || task.plan.replicas < 1) return [];
  const host = `${task.service.metadata.name}.${namespace}.svc`;
  return task.service.spec.ports.map((p) => ({ task: task.plan.name, port: p.port, host, url: `http://${host}:${p.port}` }));
}

function describeMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A pause that ends early, rejecting, when the agent stops. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}
