/**
 * Runs a plan's steps as a DAG: a step starts once every step it comes after has succeeded,
 * at most `concurrency` at a time. A failure stops only what comes after it (its
 * descendants, which are skipped); everything else still runs, so a re-run has as little as
 * possible left to do. When the signal aborts (Ctrl+C), no new step starts, the running ones
 * finish, and the rest are reported as skipped. Every step's outcome is recorded.
 */
import type { ActionKind } from './plan.js';

/** What the scheduler needs of a step. */
export interface Step {
  key: string;
  action: ActionKind;
  /** Keys of the steps that must succeed first. */
  after: string[];
}

export type Outcome = 'done' | 'unchanged' | 'failed' | 'skipped';

export interface StepResult<S extends Step = Step> {
  step: S;
  outcome: Outcome;
  /** Why it failed: one sentence. */
  error?: string;
  /** Skipped because this step (a key) failed or was itself skipped. */
  blockedBy?: string;
  /** Skipped because the run was interrupted before it started. */
  interrupted?: boolean;
}

export interface ApplyOptions<S extends Step> {
  /** Steps running at once (default 4). */
  concurrency?: number;
  /** Stops starting new steps. */
  signal?: AbortSignal;
  /** Called as each step that had work to do ends (done, failed or skipped). */
  onStep?: (result: StepResult<S>) => void;
}

/** Runs the steps and resolves, once none is running, to every step's result in plan order. */
export async function applySteps<S extends Step>(steps: readonly S[], run: (step: S) => Promise<void>, options: ApplyOptions<S> = {}): Promise<StepResult<S>[]> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`The concurrency must be a whole number of at least 1, got ${concurrency}.`);
  const keys = new Set(steps.map((s) => s.key));
  for (const step of steps) {
    const unknown = step.after.find((key) => !keys.has(key));
    if (unknown !== undefined) throw new Error(`Step ${step.key} comes after ${unknown}, which is not in the plan.`);
  }

  const results = new Map<string, StepResult<S>>();
  const waiting = new Set<S>();
  for (const step of steps) {
    if (step.action === 'unchanged') results.set(step.key, { step, outcome: 'unchanged' });
    else waiting.add(step);
  }
  const { signal, onStep } = options;
  let running = 0;

  return new Promise((resolve) => {
    const settle = (result: StepResult<S>) => {
      results.set(result.step.key, result);
      onStep?.(result);
    };
    const succeeded = (key: string) => {
      const outcome = results.get(key)?.outcome;
      return outcome === 'done' || outcome === 'unchanged';
    };
    const pump = () => {
      // Skip what can no longer run: transitively, since a skip blocks in turn.
      for (let blocked = true; blocked; ) {
        blocked = false;
        for (const step of waiting) {
          const blocker = step.after.find((key) => {
            const outcome = results.get(key)?.outcome;
            return outcome === 'failed' || outcome === 'skipped';
          });
          if (blocker === undefined) continue;
          waiting.delete(step);
          settle({ step, outcome: 'skipped', blockedBy: blocker });
          blocked = true;
        }
      }
      if (signal?.aborted) {
        for (const step of waiting) settle({ step, outcome: 'skipped', interrupted: true });
        waiting.clear();
      }
      for (const step of waiting) {
        if (running >= concurrency) break;
        if (!step.after.every(succeeded)) continue;
        waiting.delete(step);
        running++;
        Promise.resolve()
          .then(() => run(step))
          .then(
            () => settle({ step, outcome: 'done' }),
            (error: unknown) => settle({ step, outcome: 'failed', error: oneSentence(error) }),
          )
          .finally(() => {
            running--;
            pump();
          });
      }
      if (running > 0) return;
      // Nothing runs and nothing can start: what still waits, waits on itself.
      for (const step of waiting) settle({ step, outcome: 'skipped', blockedBy: step.after.find((key) => !succeeded(key)) });
      waiting.clear();
      signal?.removeEventListener('abort', pump);
      resolve(steps.map((s) => results.get(s.key)!));
    };
    signal?.addEventListener('abort', pump, { once: true });
    pump();
  });
}

function oneSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'It failed without saying why.';
}
