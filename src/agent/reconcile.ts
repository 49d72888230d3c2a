/**
 * Reconciling: the marketplace's instances against what runs on this host. ActionCable has no
 * replay, so whatever happened while the agent was away or disconnected is learnt here, over
 * REST, on start and after every (re)subscription.
 *
 * Two pure steps, so the rules are testable without a server or a host:
 * - `planReconcile`: which instances to converge and which workloads have no instance left;
 * - `decide`: for one instance and the fingerprint it should run with, whether to deploy, only
 *   to report, or to do nothing. An instance running unchanged is never redeployed.
 */
import type { Instance } from '../index.js';
import type { DeploymentReport, Workload } from './orchestrator.js';
import { trustedReportOf, type InstancePlace } from './report.js';

/** What the agent knows runs for one instance. */
export interface Known {
  /** The fingerprint it runs with, when the orchestrator (or this process's own deploy) says. */
  fingerprint?: string;
  /** `inputOf(instance)` when this process deployed it. */
  input?: string;
  /** What this process's deploy reported, to write again if the record lost it. */
  report?: DeploymentReport;
  /** The orchestrator listed it as there but not running as deployed: deploy it again. */
  degraded?: boolean;
  /** `inputOf(instance)` of this process's last failed attempt: its own failure report coming back is no reason to try again at once. */
  failedInput?: string;
}

export interface ReconcilePlan {
  /** Every instance of the platform, as listed. */
  converge: Instance[];
  /** Ids that run here with no instance listed: re-read each, and remove what is really gone. */
  orphans: string[];
  /** What runs now, as far as can be told. */
  running: Map<string, Known>;
  /** Whether the orchestrator could tell what runs (if not, the marketplace's reports stand in). */
  listable: boolean;
}

const PER_PAGE = 100;

/** Every instance of the platform, every page. Servers that list all platforms' instances are filtered. */
export async function listInstances(place: InstancePlace, signal?: AbortSignal): Promise<Instance[]> {
  const instances: Instance[] = [];
  for await (const instance of place.client.instances.list(place.ownerId, place.platformId, { perPage: PER_PAGE }, { signal })) {
    if (instance.platform_id?.toLowerCase() === place.platformId.toLowerCase()) instances.push(instance);
  }
  return instances;
}

/**
 * @param workloads what the orchestrator runs, or `undefined` when it cannot tell
 * @param known what this process knew before (kept where the orchestrator agrees, or cannot tell)
 * @param recent instances this process deployed or removed after the listing began: what it
 *   knows of them is newer than the listing, which may or may not show the change
 */
export function planReconcile(
  instances: readonly Instance[],
  workloads: readonly Workload[] | undefined,
  known: ReadonlyMap<string, Known>,
  recent: ReadonlySet<string> = new Set(),
): ReconcilePlan {
  const listed = new Set(instances.map((instance) => instance.id));
  let running: Map<string, Known>;
  if (workloads) {
    running = new Map();
    for (const workload of workloads) {
      if (recent.has(workload.instanceId)) continue;
      if (workload.degraded) {
        running.set(workload.instanceId, { degraded: true });
        continue;
      }
      const before = known.get(workload.instanceId);
      const agrees = before && (workload.fingerprint === undefined || workload.fingerprint === before.fingerprint);
      running.set(workload.instanceId, agrees ? { ...before, fingerprint: workload.fingerprint ?? before.fingerprint } : { fingerprint: workload.fingerprint });
    }
    for (const id of recent) {
      const now = known.get(id);
      if (now) running.set(id, now);
    }
  } else {
    running = new Map(known);
  }
  const orphans = [...running.keys()].filter((id) => !listed.has(id));
  return { converge: [...instances], orphans, running, listable: workloads !== undefined };
}

export type Decision =
  | { action: 'none' }
  /** Runs as it should, but the record does not say so: write the report again. */
  | { action: 'report'; report: DeploymentReport }
  | { action: 'deploy'; reason: 'missing' | 'changed' | 'unreported' | 'degraded' };

/**
 * @param fingerprint what the instance should run with now
 * @param known what runs for it, if anything is known
 * @param listable whether `known` comes from an orchestrator that can list (absence then means "not running")
 */
export function decide(instance: Instance, fingerprint: string, known: Known | undefined, listable: boolean): Decision {
  if (known?.degraded) return { action: 'deploy', reason: 'degraded' };
  const reported = trustedReportOf(instance);
  // What runs: the orchestrator's word where it has one, otherwise the last report on the record.
  const running = known?.fingerprint ?? (known || !listable ? reported?.fingerprint : undefined);
  if (running === undefined) return { action: 'deploy', reason: known ? 'unreported' : 'missing' };
  if (running !== fingerprint) return { action: 'deploy', reason: 'changed' };
  if (reported?.fingerprint === fingerprint) return { action: 'none' };
  if (known?.report?.fingerprint === fingerprint) return { action: 'report', report: known.report };
  // It runs, but nothing says how (container ids, ports): a deploy, which is idempotent, tells.
  return { action: 'deploy', reason: 'unreported' };
}
