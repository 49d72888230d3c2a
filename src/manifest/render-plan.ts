/**
 * The plan as a readable diff, like `terraform plan`:
 *
 *   + create task "web" (configuration "default")
 *   ~ update product "X": description "a" → "b"
 *   - delete screenshot "Old home page"
 *   = 12 unchanged
 *
 *   Plan: 3 to create, 1 to update, 1 to delete, 12 unchanged.
 *
 * preceded by the build's image and the digest the publish records for it, when there is one.
 *
 * Unchanged records are collapsed into a count unless `verbose`. Colour comes from a painter
 * the caller passes (none in pipes and logs).
 */
import type { FieldChange } from './field-changes.js';
import { describeTarget, shortValue, summarize, type Plan, type PlannedAction } from './plan.js';

export type Style = 'green' | 'yellow' | 'red' | 'dim' | 'bold';
export type Painter = (style: Style, text: string) => string;

export interface RenderOptions {
  verbose?: boolean;
  paint?: Painter;
}

const SYMBOLS = { create: '+', update: '~', delete: '-', unchanged: '=' } as const;
const STYLES = { create: 'green', update: 'yellow', delete: 'red', unchanged: 'dim' } as const;

export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const paint = options.paint ?? ((_style: Style, text: string) => text);
  const lines: string[] = [];
  const image = plan.build.image;
  // The exact image the build will run: what a reviewer of the plan most needs to see.
  if (image) lines.push(`  image ${image.reference} is ${image.digest}${image.source === 'manifest' ? ' (pinned in the manifest)' : ''}`);
  const shown = options.verbose ? plan.actions : plan.actions.filter((a) => a.action !== 'unchanged');
  for (const action of shown) lines.push(paint(STYLES[action.action], `  ${SYMBOLS[action.action]} ${actionLine(action)}`));
  const summary = summarize(plan.actions);
  if (!options.verbose && summary.unchanged) lines.push(paint('dim', `  = ${summary.unchanged} unchanged`));
  if (!plan.actions.length) lines.push('  (nothing)');
  lines.push('', paint('bold', `Plan: ${summary.create} to create, ${summary.update} to update, ${summary.delete} to delete, ${summary.unchanged} unchanged.`));
  return `${lines.join('\n')}\n`;
}

/** `create task "web" (configuration "default")`, `update product "X": description "a" → "b"`. */
export function actionLine(action: Pick<PlannedAction, 'action' | 'resource' | 'name' | 'within' | 'changes'>): string {
  if (action.resource === 'publication') return `publish product "${action.name}"`;
  const line = `${action.action} ${describeTarget(action)}`;
  return action.changes?.length ? `${line}: ${action.changes.map(changeText).join(', ')}` : line;
}

function changeText(change: FieldChange): string {
  if (change.field === 'sha256') return `content ${digestText(change.from)} → ${digestText(change.to)}`;
  return `${change.field} ${shortValue(change.from)} → ${shortValue(change.to)}`;
}

function digestText(digest: unknown): string {
  return typeof digest === 'string' ? `sha256:${digest.slice(0, 12)}` : 'none';
}
