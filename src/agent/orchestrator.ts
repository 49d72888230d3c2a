/**
 * What the platform agent asks of whatever runs workloads on its host (Docker, an operator's
 * hook, or nothing at all): list what runs, deploy an instance, remove one.
 *
 * The contract with the marketplace's instance record:
 * - `launch_bindings.environment` (an object of `NAME: "value"`) is the operator's input: values
 *   for the task environment variables, applied on top of the tasks' defaults;
 * - `launch_bindings.deployment` is the agent's report of what it actually ran (written back
 *   after a deploy), including the `fingerprint` of what it deployed; after a deploy that failed
 *   or was refused, `deployed_at` is cleared and the report gains `error` (one sentence: why)
 *   and `failed_at`. Everything else in `launch_bindings` is left as it is.
 * The fingerprint covers the build, its default configuration's tasks and the input, never the
 * report itself, so writing the report back does not look like a change to redeploy.
 */
import type { Build, Configuration, Instance, Task } from '../index.js';

/** One instance as the orchestrator runs it. */
export interface Workload {
  instanceId: string;
  /** The fingerprint it was deployed with, when the orchestrator can tell (Docker labels). */
  fingerprint?: string;
  /**
   * It is there but does not run as deployed (a container stopped or removed behind the
   * agent's back, a set left half-made): the agent deploys it again.
   */
  degraded?: boolean;
}

/** Everything needed to run one instance, already validated by the agent. */
export interface Deployment {
  platformId: string;
  instance: Instance;
  build: Build;
  /** The build's default configuration, with its tasks. */
  configuration: Configuration;
  tasks: Task[];
  /** Task environment variables merged with the instance's input; names are `[A-Z0-9_]+`. */
  environment: Record<string, string>;
  fingerprint: string;
}

/** What was actually run, reported back as `launch_bindings.deployment`. */
export interface DeploymentReport {
  orchestrator: string;
  fingerprint: string;
  /** Per task replica: e.g. a container id and its published ports. */
  workloads: Record<string, unknown>[];
  /** Where the platform's other instances reach this one, per task port. */
  endpoints?: Endpoint[];
  [key: string]: unknown;
}

/**
 * One address at which a deployed task listens, as the platform's other workloads reach it
 * (the specification: plain HTTP inside the platform). Autowiring reads it from a provider's
 * report to give its dependents `url`, `host` and `port`.
 */
export interface Endpoint {
  /** The task's name. */
  task: string;
  /** The port the task listens on (container port). */
  port: number;
  /** Host name or address reachable from the platform's other workloads. */
  host: string;
  /** `http://host:port` (the specification: plain HTTP inside the platform). */
  url: string;
}

/** One JSON line of the agent's log: an event name and its fields (never secrets). */
export type AgentLog = (event: string, fields?: Record<string, unknown>) => void;

export interface Orchestrator {
  readonly name: string;
  /** What runs now, or `undefined` when it cannot tell (the agent then trusts its last reports). */
  list(signal?: AbortSignal): Promise<Workload[] | undefined>;
  /** Runs (or replaces) the instance; idempotent. */
  deploy(deployment: Deployment, signal?: AbortSignal): Promise<DeploymentReport>;
  /** Stops and removes the instance; removing what is not there succeeds. */
  remove(instanceId: string, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: calls `onChange` whenever what runs may have changed behind the agent's back (an
   * operator stopped or removed a container), until `signal` aborts. The agent then
   * reconciles, as it does after a reconnection.
   */
  watch?(onChange: (reason: string) => void, signal: AbortSignal): void;
}
