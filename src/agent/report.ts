/**
 * The agent's side of an instance record (see the contract in orchestrator.ts): it writes
 * `deployed_at` and `launch_bindings.deployment`, and nothing else. Everything else in
 * `launch_bindings` (the operator's `environment` first of all) is the operator's, kept as the
 * server has it at the moment of writing.
 */
import { NotFoundError, type Instance, type Marketplace } from '../index.js';
import type { DeploymentReport } from './orchestrator.js';

/** Where an instance lives: `/users/:owner/platforms/:platform/instances/:id`. */
export interface InstancePlace {
  client: Marketplace;
  /** The platform owner's id (the URL's user), not necessarily the caller's. */
  ownerId: string;
  platformId: string;
}

/** The report the agent last wrote on the instance, if it looks like one. */
export function reportOf(instance: Instance): DeploymentReport | undefined {
  const deployment = instance.launch_bindings?.deployment;
  if (!deployment || typeof deployment !== 'object' || Array.isArray(deployment)) return undefined;
  const report = deployment as Partial<DeploymentReport>;
  return typeof report.fingerprint === 'string' ? (report as DeploymentReport) : undefined;
}

/** The report, when the record says it is deployed: only then does the report describe what runs. */
export function trustedReportOf(instance: Instance): DeploymentReport | undefined {
  return instance.deployed_at ? reportOf(instance) : undefined;
}

/**
 * What the instance asks for, as one comparable string: its build and its launch bindings
 * without the agent's own report. Two records with the same input want the same deployment,
 * as long as the build's parts did not change.
 */
export function inputOf(instance: Instance): string {
  const { deployment: _report, ...input } = instance.launch_bindings ?? {};
  return stableJson({ build_id: instance.build_id, launch_bindings: input });
}

export type ReportOutcome = 'written' | 'gone' | 'changed';

/**
 * Records a deploy: `deployed_at` now and the report under `launch_bindings.deployment`.
 * The record is read again first, so an operator's edit made during the deploy is neither lost
 * nor covered by a report of the old input (`changed`: the event of that edit redeploys), unless
 * the caller knows the record as it is now.
 */
export async function reportDeployed(
  place: InstancePlace,
  instanceId: string,
  input: string,
  report: DeploymentReport,
  signal?: AbortSignal,
  /** The record as it is now, when the caller knows it (agent.ts's `freshRecord`): then it is not read again. */
  known?: Instance,
): Promise<ReportOutcome> {
  const current = known ?? (await retrieveOrNull(place, instanceId, signal));
  if (!current) return 'gone';
  if (inputOf(current) !== input) return 'changed';
  try {
    await place.client.instances.update(
      place.ownerId,
      place.platformId,
      instanceId,
      { deployed_at: new Date().toISOString(), launch_bindings: { ...current.launch_bindings, deployment: report } },
      { signal },
    );
  } catch (error) {
    // Deleted since it was read: its delete event (or the next reconcile) removes what runs.
    if (error instanceof NotFoundError) return 'gone';
    throw error;
  }
  return 'written';
}

/** Why a deploy did not happen, as the operator reads it on the instance. */
export interface Failure {
  orchestrator: string;
  /** One sentence (an orchestrator's or the agent's), never a variable's value. */
  error: string;
}

/**
 * Records a failure: `deployed_at` cleared, and the reason under `launch_bindings.deployment`
 * (`error`, `failed_at`, beside what the last report said ran, if anything). Left alone when
 * the record already says so, so a refused instance's own update event finds nothing to do and
 * no loop starts; and left alone when the input changed meanwhile (that change's own event
 * deploys again). The record is read again first, as for a report.
 */
export async function reportFailed(place: InstancePlace, instance: Instance, failure: Failure, signal?: AbortSignal): Promise<boolean> {
  const current = await retrieveOrNull(place, instance.id, signal);
  if (!current || inputOf(current) !== inputOf(instance)) return false;
  const previous = current.launch_bindings?.deployment;
  const recorded = previous && typeof previous === 'object' && !Array.isArray(previous) ? (previous as Record<string, unknown>) : {};
  if (current.deployed_at === null && recorded.error === failure.error) return false;
  try {
    await place.client.instances.update(
      place.ownerId,
      place.platformId,
      instance.id,
      { deployed_at: null, launch_bindings: { ...current.launch_bindings, deployment: { ...recorded, ...failure, failed_at: new Date().toISOString() } } },
      { signal },
    );
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/**
 * The instance, or `null` when the marketplace has none with this id on this platform (the
 * reference server ignores the platform in the URL, so the record's own platform is checked).
 */
export async function retrieveOrNull(place: InstancePlace, instanceId: string, signal?: AbortSignal): Promise<Instance | null> {
  try {
    const instance = await place.client.instances.retrieve(place.ownerId, place.platformId, instanceId, { signal });
    return instance.platform_id?.toLowerCase() === place.platformId.toLowerCase() ? instance : null;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
