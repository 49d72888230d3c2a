/** The reconcile rules, on plain records: what to deploy, report, leave alone or remove. */
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/index.js';
import type { DeploymentReport } from '../../../src/agent/orchestrator.js';
import { decide, planReconcile, type Known } from '../../../src/agent/reconcile.js';
import { inputOf, reportOf, stableJson } from '../../../src/agent/report.js';

const PLATFORM = '3d9d0872-a1f5-4e4b-9324-af608b423aae';
const BUILD = '931cc915-a828-4d9c-86dc-4a11a0b4be4e';
const ids = ['0f6f3c6e-0000-4000-8000-000000000001', '0f6f3c6e-0000-4000-8000-000000000002', '0f6f3c6e-0000-4000-8000-000000000003'] as const;

function report(fingerprint: string): DeploymentReport {
  return { orchestrator: 'test', fingerprint, workloads: [{ container: `c-${fingerprint}` }] };
}

function instance(id: string, options: { deployed?: boolean; report?: DeploymentReport; environment?: Record<string, string> } = {}): Instance {
  return {
    id,
    platform_id: PLATFORM,
    build_id: BUILD,
    launch_bindings: { ...(options.environment ? { environment: options.environment } : {}), ...(options.report ? { deployment: options.report } : {}) },
    deployed_at: options.deployed ? '2026-11-26T08:00:00.000Z' : null,
    created_at: '2026-11-26T07:00:00.000Z',
    updated_at: '2026-11-26T07:00:00.000Z',
  };
}

describe('decide', () => {
  it('deploys what runs nowhere', () => {
    expect(decide(instance(ids[0]), 'fp1', undefined, true)).toEqual({ action: 'deploy', reason: 'missing' });
  });

  it('deploys again what runs with another fingerprint', () => {
    expect(decide(instance(ids[0], { deployed: true, report: report('fp1') }), 'fp2', { fingerprint: 'fp1' }, true)).toEqual({ action: 'deploy', reason: 'changed' });
  });

  it('leaves alone what runs unchanged and is reported so', () => {
    expect(decide(instance(ids[0], { deployed: true, report: report('fp1') }), 'fp1', { fingerprint: 'fp1' }, true)).toEqual({ action: 'none' });
  });

  it('trusts the last report when the orchestrator cannot list', () => {
    expect(decide(instance(ids[0], { deployed: true, report: report('fp1') }), 'fp1', undefined, false)).toEqual({ action: 'none' });
    expect(decide(instance(ids[0], { deployed: true, report: report('fp1') }), 'fp2', undefined, false)).toEqual({ action: 'deploy', reason: 'changed' });
  });

  it('does not trust a report whose deployed_at was cleared (a failure, or an operator asking again)', () => {
    expect(decide(instance(ids[0], { deployed: false, report: report('fp1') }), 'fp1', undefined, false)).toEqual({ action: 'deploy', reason: 'missing' });
  });

  it('does not trust a report for an instance the listing orchestrator does not run', () => {
    expect(decide(instance(ids[0], { deployed: true, report: report('fp1') }), 'fp1', undefined, true)).toEqual({ action: 'deploy', reason: 'missing' });
  });

  it('writes the report again, without deploying, when what runs is right but the record lost it', () => {
    const known: Known = { fingerprint: 'fp1', report: report('fp1') };
    expect(decide(instance(ids[0]), 'fp1', known, true)).toEqual({ action: 'report', report: report('fp1') });
  });

  it('deploys when it runs right but nothing says how (no report anywhere)', () => {
    expect(decide(instance(ids[0]), 'fp1', { fingerprint: 'fp1' }, true)).toEqual({ action: 'deploy', reason: 'unreported' });
  });

  it('for an orchestrator that lists ids only, the report tells the fingerprint', () => {
    expect(decide(instance(ids[0], { deployed: true, report: report('fp1') }), 'fp1', {}, true)).toEqual({ action: 'none' });
    expect(decide(instance(ids[0]), 'fp1', {}, true)).toEqual({ action: 'deploy', reason: 'unreported' });
  });
});

describe('planReconcile', () => {
  it('converges every listed instance and names the workloads that have none', () => {
    const plan = planReconcile([instance(ids[0]), instance(ids[1])], [{ instanceId: ids[1], fingerprint: 'fp' }, { instanceId: ids[2], fingerprint: 'old' }], new Map());
    expect(plan.converge.map((i) => i.id)).toEqual([ids[0], ids[1]]);
    expect(plan.orphans).toEqual([ids[2]]);
    expect(plan.listable).toBe(true);
    expect([...plan.running]).toEqual([
      [ids[1], { fingerprint: 'fp' }],
      [ids[2], { fingerprint: 'old' }],
    ]);
  });

  it('keeps what it knew of a workload the orchestrator agrees on, and forgets the rest', () => {
    const known = new Map<string, Known>([
      [ids[0], { fingerprint: 'fp0', input: 'in0', report: report('fp0') }],
      [ids[1], { fingerprint: 'fp1', input: 'in1', report: report('fp1') }],
      [ids[2], { fingerprint: 'fp2', input: 'in2' }],
    ]);
    const plan = planReconcile([], [{ instanceId: ids[0], fingerprint: 'fp0' }, { instanceId: ids[1], fingerprint: 'changed' }, { instanceId: ids[2] }], known);
    expect(plan.running.get(ids[0])).toEqual({ fingerprint: 'fp0', input: 'in0', report: report('fp0') });
    expect(plan.running.get(ids[1])).toEqual({ fingerprint: 'changed' });
    // An orchestrator that lists ids only does not contradict what this process deployed.
    expect(plan.running.get(ids[2])).toEqual({ fingerprint: 'fp2', input: 'in2' });
  });

  it('without a listing, keeps what this process knows; what it deployed with no instance left is an orphan', () => {
    const known = new Map<string, Known>([
      [ids[0], { fingerprint: 'fp0' }],
      [ids[1], { fingerprint: 'fp1' }],
    ]);
    const plan = planReconcile([instance(ids[0])], undefined, known);
    expect(plan.listable).toBe(false);
    expect([...plan.running.keys()]).toEqual([ids[0], ids[1]]);
    expect(plan.orphans).toEqual([ids[1]]);
  });

  it('prefers what this process did after the listing began over the listing', () => {
    const known = new Map<string, Known>([[ids[0], { fingerprint: 'new', input: 'in', report: report('new') }]]);
    // The listing was taken before the deploy of ids[0] finished, and before the removal of ids[1].
    const plan = planReconcile([instance(ids[0])], [{ instanceId: ids[1], fingerprint: 'gone' }], known, new Set([ids[0], ids[1]]));
    expect(plan.running.get(ids[0])).toEqual({ fingerprint: 'new', input: 'in', report: report('new') });
    expect(plan.running.has(ids[1])).toBe(false);
    expect(plan.orphans).toEqual([]);
  });
});

describe('the report contract', () => {
  it("reads the agent's report only when it has a fingerprint", () => {
    expect(reportOf(instance(ids[0], { report: report('fp1') }))).toEqual(report('fp1'));
    expect(reportOf({ ...instance(ids[0]), launch_bindings: { deployment: { workloads: [] } } })).toBeUndefined();
    expect(reportOf({ ...instance(ids[0]), launch_bindings: { deployment: ['fp'] } })).toBeUndefined();
  });

  it("the input is the build and the operator's bindings, never the agent's report, whatever the key order", () => {
    const plain = instance(ids[0], { environment: { A: '1', B: '2' } });
    const reported = instance(ids[0], { environment: { B: '2', A: '1' }, report: report('fp1'), deployed: true });
    expect(inputOf(reported)).toBe(inputOf(plain));
    expect(inputOf(instance(ids[0], { environment: { A: '1', B: '3' } }))).not.toBe(inputOf(plain));
    expect(inputOf({ ...plain, build_id: ids[2] })).not.toBe(inputOf(plain));
    expect(stableJson({ b: { d: 1, c: [2, { f: 1, e: 0 }] }, a: null })).toBe('{"a":null,"b":{"c":[2,{"e":0,"f":1}],"d":1}}');
  });
});
