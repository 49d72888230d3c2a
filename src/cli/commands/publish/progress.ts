/**
 * What `hsp publish` says while it applies: one line per step as it ends (`[3/17] ✓ created
 * task "web" (configuration "default")`), the same on a terminal and in a CI log except for
 * colour, and at the end the steps that failed, each with its one-sentence reason.
 */
import type { StepResult } from '../../../manifest/apply.js';
import { describeTarget, type PlannedAction } from '../../../manifest/plan.js';
import { actionLine, type Painter } from '../../../manifest/render-plan.js';

const PAST = { create: 'created', update: 'updated', delete: 'deleted', unchanged: 'left' } as const;

export function stepLine(result: StepResult<PlannedAction>, plan: readonly PlannedAction[], paint: Painter): string {
  const { step } = result;
  switch (result.outcome) {
    case 'done':
      return paint('green', '✓ ') + (step.resource === 'publication' ? `published product "${step.name}"` : `${PAST[step.action]} ${describeTarget(step)}`);
    case 'failed':
      return paint('red', `✗ ${actionLine({ ...step, changes: undefined })} failed: `) + (result.error ?? '');
    case 'skipped':
      return paint('dim', `- skipped ${actionLine({ ...step, changes: undefined })} (${skipReason(result, plan)})`);
    case 'unchanged':
      return paint('dim', `= ${describeTarget(step)} is unchanged`);
  }
}

export function skipReason(result: StepResult<PlannedAction>, plan: readonly PlannedAction[]): string {
  if (result.interrupted) return 'interrupted';
  const blocker = plan.find((a) => a.key === result.blockedBy);
  return blocker ? `it needs ${actionLine({ ...blocker, changes: undefined })}` : 'it cannot run';
}

/** The failed steps, one line each, for the end of the run. */
export function failureReport(results: readonly StepResult<PlannedAction>[]): string[] {
  return results.filter((r) => r.outcome === 'failed').map((r) => `  ${actionLine({ ...r.step, changes: undefined })}: ${r.error ?? 'failed'}`);
}
