/**
 * An instance the orchestrator lists as there but not running as deployed (a container
 * stopped or removed behind the agent's back) is deployed again, whatever the agent or the
 * record believed ran.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../../src/agent/orchestrator.js';
import { decide, planReconcile } from '../../../src/agent/reconcile.js';
import type { Instance } from '../../../src/index.js';

const report = (fingerprint: string): DeploymentReport => ({ orchestrator: 'docker', fingerprint, workloads: [] });

function instance(id: string, fingerprint: string): Instance {
  return {
    id,
    platform_id: randomUUID(),
    build_id: randomUUID(),
    launch_bindings: { deployment: report(fingerprint) },
    deployed_at: '2026-01-01T00:00:00.000Z',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  } as Instance;
}

describe('a degraded workload', () => {
  it('is deployed again although this process deployed it and the record reports it', () => {
    const id = randomUUID();
    const plan = planReconcile([instance(id, 'fp1')], [{ instanceId: id, degraded: true }], new Map([[id, { fingerprint: 'fp1', input: 'x', report: report('fp1') }]]));
    expect(plan.running.get(id)).toEqual({ degraded: true });
    expect(decide(instance(id, 'fp1'), 'fp1', plan.running.get(id), plan.listable)).toEqual({ action: 'deploy', reason: 'degraded' });
  });

  it('is deployed again by an agent that just started (it knew nothing)', () => {
    const id = randomUUID();
    const plan = planReconcile([instance(id, 'fp1')], [{ instanceId: id, degraded: true }], new Map());
    expect(decide(instance(id, 'fp1'), 'fp1', plan.running.get(id), plan.listable)).toEqual({ action: 'deploy', reason: 'degraded' });
  });

  it('whose instance is gone is an orphan, to be removed', () => {
    const id = randomUUID();
    expect(planReconcile([], [{ instanceId: id, degraded: true }], new Map()).orphans).toEqual([id]);
  });

  it('that this process has just deployed again is not taken from a listing older than that deploy', () => {
    const id = randomUUID();
    const known = { fingerprint: 'fp1', input: 'x', report: report('fp1') };
    const plan = planReconcile([instance(id, 'fp1')], [{ instanceId: id, degraded: true }], new Map([[id, known]]), new Set([id]));
    expect(plan.running.get(id)).toEqual(known);
    expect(decide(instance(id, 'fp1'), 'fp1', plan.running.get(id), plan.listable)).toEqual({ action: 'none' });
  });
});
