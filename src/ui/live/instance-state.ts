/**
 * What an instance's record says about it, in the operator's words. The agent writes two
 * things back (src/agent/report.ts): `deployed_at` with its report under
 * `launch_bindings.deployment` after a deploy, or `deployed_at: null` with `error` and
 * `failed_at` beside the report when it could not deploy. Anything else is still on its way.
 */
import type { Instance } from '../../sdk/types/instances.js';

export interface Endpoint {
  task: string;
  port: number;
  url: string;
}

export type InstanceState =
  | { kind: 'deploying' }
  | { kind: 'running'; since: string; orchestrator?: string; endpoints: Endpoint[]; workloads: Record<string, unknown>[] }
  | { kind: 'failed'; reason: string; at?: string; orchestrator?: string };

type Reported = Pick<Instance, 'deployed_at' | 'launch_bindings'>;

export function stateOf(instance: Reported): InstanceState {
  const report = reportOf(instance);
  if (instance.deployed_at && report) {
    return {
      kind: 'running',
      since: instance.deployed_at,
      ...(typeof report.orchestrator === 'string' ? { orchestrator: report.orchestrator } : {}),
      endpoints: endpointsOf(report.endpoints),
      workloads: Array.isArray(report.workloads) ? report.workloads.filter(isObject) : [],
    };
  }
  if (!instance.deployed_at && report && typeof report.error === 'string' && report.error.trim()) {
    return {
      kind: 'failed',
      reason: readable(report.error),
      ...(typeof report.failed_at === 'string' ? { at: report.failed_at } : {}),
      ...(typeof report.orchestrator === 'string' ? { orchestrator: report.orchestrator } : {}),
    };
  }
  // Deployed with no report (written by hand, or by another agent) still counts as running.
  if (instance.deployed_at) return { kind: 'running', since: instance.deployed_at, endpoints: [], workloads: [] };
  return { kind: 'deploying' };
}

/** The operator's input: `launch_bindings.environment`, names to text (anything else is dropped). */
export function environmentOf(instance: Pick<Instance, 'launch_bindings'>): Record<string, string> {
  const environment = instance.launch_bindings?.environment;
  if (!isObject(environment)) return {};
  return Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * The bindings that ask the agent to deploy again: the operator's settings kept, the agent's
 * last report dropped (so the record says "deploying" until the agent answers).
 */
export function withoutReport(instance: Pick<Instance, 'launch_bindings'>, environment?: Record<string, string>): Record<string, unknown> {
  const { deployment: _report, ...rest } = instance.launch_bindings ?? {};
  return environment === undefined ? rest : { ...rest, environment };
}

/** When the agent last wrote on the instance (a deploy or a failure), if it did. */
export function reportedAt(instance: Reported): string | undefined {
  const state = stateOf(instance);
  if (state.kind === 'running' && reportOf(instance)) return state.since;
  if (state.kind === 'failed') return state.at;
  return undefined;
}

/** The agent's sentence without the instance id it starts with (the page already says which instance). */
function readable(error: string): string {
  const text = error.trim().replace(/^Instance [0-9a-f-]{36}: /i, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function reportOf(instance: Reported): Record<string, unknown> | undefined {
  const deployment = instance.launch_bindings?.deployment;
  return isObject(deployment) ? deployment : undefined;
}

function endpointsOf(value: unknown): Endpoint[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((entry) =>
    typeof entry.task === 'string' && typeof entry.port === 'number' && typeof entry.url === 'string' ? [{ task: entry.task, port: entry.port, url: entry.url }] : [],
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
