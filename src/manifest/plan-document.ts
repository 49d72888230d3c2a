/**
 * The plan (and, after an apply, each step's outcome) as the JSON document `hsp publish
 * --json` prints: `{actions: [{action, resource, id, name, …}], summary, warnings, errors}`.
 */
import type { StepResult } from './apply.js';
import type { FieldChange } from './field-changes.js';
import { summarize, type Plan, type PlannedAction, type PlanSummary } from './plan.js';

export interface PlanDocumentAction {
  action: PlannedAction['action'];
  resource: PlannedAction['resource'];
  id: string;
  name: string;
  within?: string;
  changes?: FieldChange[];
  /** After an apply. */
  outcome?: StepResult['outcome'];
  error?: string;
  /** The key of the step whose failure skipped this one. */
  blocked_by?: string;
  interrupted?: boolean;
}

export interface PlanDocument {
  product: Plan['product'];
  build: Plan['build'];
  marketplace: string;
  actions: PlanDocumentAction[];
  summary: PlanSummary;
  /** After an apply: how the steps ended. */
  outcomes?: Record<StepResult['outcome'], number>;
  warnings: string[];
  errors: string[];
}

export function planDocument(plan: Plan, marketplace: string, warnings: string[], results?: StepResult<PlannedAction>[]): PlanDocument {
  const byKey = new Map(results?.map((r) => [r.step.key, r]));
  const actions = plan.actions.map((action): PlanDocumentAction => {
    const result = byKey.get(action.key);
    return {
      action: action.action,
      resource: action.resource,
      id: action.id,
      name: action.name,
      ...(action.within ? { within: action.within } : {}),
      ...(action.changes ? { changes: action.changes } : {}),
      ...(result ? { outcome: result.outcome } : {}),
      ...(result?.error ? { error: result.error } : {}),
      ...(result?.blockedBy ? { blocked_by: result.blockedBy } : {}),
      ...(result?.interrupted ? { interrupted: true } : {}),
    };
  });
  const document: PlanDocument = {
    product: plan.product,
    build: plan.build,
    marketplace,
    actions,
    summary: summarize(plan.actions),
    warnings,
    errors: plan.errors,
  };
  if (results) {
    const outcomes = { done: 0, unchanged: 0, failed: 0, skipped: 0 };
    for (const r of results) outcomes[r.outcome]++;
    document.outcomes = outcomes;
  }
  return document;
}
