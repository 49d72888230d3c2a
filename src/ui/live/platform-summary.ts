/**
 * A platform's state in one line, from its instances' records: how many run, failed or wait
 * for the agent, and when the agent last reported. The marketplace keeps no other trace of an
 * agent, so its last report on any instance is how the UI knows it is alive.
 */
import type { Instance } from '../../sdk/types/instances.js';
import { reportedAt, stateOf } from './instance-state.js';

export interface PlatformSummary {
  running: number;
  failed: number;
  deploying: number;
  /** The newest `deployed_at` or `failed_at` the agent wrote, if any. */
  lastReport?: string;
}

export function summarize(instances: readonly Instance[]): PlatformSummary {
  const summary: PlatformSummary = { running: 0, failed: 0, deploying: 0 };
  let newest = -Infinity;
  for (const instance of instances) {
    summary[stateOf(instance).kind === 'running' ? 'running' : stateOf(instance).kind === 'failed' ? 'failed' : 'deploying']++;
    const at = reportedAt(instance);
    const time = at ? Date.parse(at) : NaN;
    if (!Number.isNaN(time) && time > newest) {
      newest = time;
      summary.lastReport = at;
    }
  }
  return summary;
}

/** "2 running, 1 failed", or "No instances". */
export function countsText(summary: PlatformSummary): string {
  const parts = [
    summary.running && `${summary.running} running`,
    summary.deploying && `${summary.deploying} deploying`,
    summary.failed && `${summary.failed} failed`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'No instances';
}
