/**
 * The publish pipeline, for the CLI, scripts and benchmarks alike: read the local files and
 * the marketplace, plan, and (unless it is a dry run) apply the plan's steps.
 */
import type { Marketplace } from '../index.js';
import { applySteps, type StepResult } from './apply.js';
import { execute } from './execute.js';
import { pinImage, type RegistryLookup } from './image-pin.js';
import { readLocalFiles, type LocalFiles } from './local-files.js';
import type { Manifest } from './model.js';
import { planPublish, type Plan, type PlanOptions, type PlannedAction } from './plan.js';
import { readState } from './state.js';

export interface PrepareOptions extends PlanOptions {
  /** Requests in flight at once, reading and writing (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  /**
   * Look the image's tag up in its registry and record its digest (`hsp publish` does, unless
   * --no-resolve). Without it, no registry is asked: only a digest the manifest pins is recorded.
   */
  registry?: RegistryLookup;
}

export interface PreparedPublish {
  plan: Plan;
  /** The local files' digests and the packed content, which the apply uploads. */
  local: LocalFiles;
}

export interface ApplyPublishOptions {
  concurrency?: number;
  /** Stops starting new steps (Ctrl+C); running ones finish. */
  signal?: AbortSignal;
  onStep?: (result: StepResult<PlannedAction>) => void;
}

/** Reads both sides and plans; nothing is written. */
export async function preparePublish(client: Marketplace, manifest: Manifest, options: PrepareOptions = {}): Promise<PreparedPublish> {
  const concurrency = options.concurrency ?? 4;
  const registry = options.registry && { ...options.registry, ...(options.signal ? { signal: options.signal } : {}) };
  const [local, state, pinned] = await Promise.all([
    readLocalFiles(manifest, concurrency),
    readState(client, manifest, { concurrency, prune: !!options.prune, ...(options.signal ? { signal: options.signal } : {}) }),
    pinImage(manifest, registry),
  ]);
  const withImage: LocalFiles = { ...local, ...(pinned.pin ? { image: pinned.pin } : {}), errors: [...local.errors, ...(pinned.error ? [pinned.error] : [])] };
  return { plan: planPublish(manifest, state, withImage, options), local: withImage };
}

/** Carries the plan out; a plan with errors is refused. */
export async function applyPublish(client: Marketplace, prepared: PreparedPublish, options: ApplyPublishOptions = {}): Promise<StepResult<PlannedAction>[]> {
  const { plan, local } = prepared;
  if (plan.errors.length) throw new Error(`The plan cannot be applied: ${plan.errors[0]}`);
  // The signal is not passed to the requests: an interrupted run lets running steps finish,
  // so that no step is left half done.
  return applySteps(plan.actions, (action) => execute(action, { client, local }), {
    concurrency: options.concurrency ?? 4,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
}
