/**
 * The Marketplace UI's live instance list, without a browser: what an instance's record says
 * (deploying, running with what the agent reported, failed with its reason), and how REST
 * listings and stream events are merged so that a slow listing never undoes a newer event.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceEvent } from '../../../src/events/platform.js';
import type { Instance } from '../../../src/sdk/types/instances.js';
import { environmentOf, stateOf, withoutReport } from '../../../src/ui/live/instance-state.js';
import { InstanceStore } from '../../../src/ui/live/instance-store.js';
import { countsText, summarize } from '../../../src/ui/live/platform-summary.js';

const PLATFORM = '0b6c5d3e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';
const BUILD = '1c7d6e4f-2a3b-4c4d-9e5f-6a7b8c9d0e1f';
const PRODUCT = '2d8e7f5a-3b4c-4d5e-af6a-7b8c9d0e1f2a';

function instance(id: string, fields: Partial<Instance> = {}): Instance {
  return { id, platform_id: PLATFORM, build_id: BUILD, product_id: PRODUCT, launch_bindings: {}, deployed_at: null, created_at: `2026-12-07T10:00:0${id.at(-1)}Z`, updated_at: '2026-12-07T10:00:00Z', ...fields };
}

function event(type: InstanceEvent['type'], id: string, model: Partial<InstanceEvent['instance']> = {}): InstanceEvent {
  return {
    type,
    instanceId: id,
    platformId: PLATFORM,
    buildId: BUILD,
    raw: {},
    instance: { id, build: { id: BUILD, container_repository: 'example/app', container_tag: '1', product: { id: PRODUCT } }, platform: { id: PLATFORM }, ...model },
  };
}

const ID_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaa1';
const ID_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb2';

describe('what an instance record says', () => {
  it('is deploying until the agent reports', () => {
    expect(stateOf({ deployed_at: null, launch_bindings: { environment: { A: '1' } } })).toEqual({ kind: 'deploying' });
  });

  it('is running since deployed_at, with the endpoints and workloads the agent reported', () => {
    const state = stateOf({
      deployed_at: '2026-12-07T10:01:00Z',
      launch_bindings: {
        deployment: {
          orchestrator: 'docker',
          fingerprint: 'f',
          workloads: [{ name: 'hsp-1-web-1', task: 'web' }, 'not an object'],
          endpoints: [{ task: 'web', port: 8080, host: 'h', url: 'http://h:8080' }, { task: 'broken' }],
        },
      },
    });
    expect(state).toEqual({
      kind: 'running',
      since: '2026-12-07T10:01:00Z',
      orchestrator: 'docker',
      endpoints: [{ task: 'web', port: 8080, url: 'http://h:8080' }],
      workloads: [{ name: 'hsp-1-web-1', task: 'web' }],
    });
  });

  it("is failed with the agent's sentence, without the instance id it starts with", () => {
    const state = stateOf({
      deployed_at: null,
      launch_bindings: { deployment: { orchestrator: 'dry-run', error: `Instance ${ID_A}: build x: the build names no container image.`, failed_at: '2026-12-07T10:02:00Z' } },
    });
    expect(state).toEqual({ kind: 'failed', reason: 'Build x: the build names no container image.', at: '2026-12-07T10:02:00Z', orchestrator: 'dry-run' });
  });

  it('keeps only text values of the environment, and drops the report to ask for a new deploy', () => {
    const record = { launch_bindings: { environment: { A: '1', B: 2, C: null }, deployment: { fingerprint: 'f' }, wiring: { x: 'y' } } };
    expect(environmentOf(record)).toEqual({ A: '1' });
    expect(withoutReport(record)).toEqual({ environment: { A: '1', B: 2, C: null }, wiring: { x: 'y' } });
    expect(withoutReport(record, { A: '2' })).toEqual({ environment: { A: '2' }, wiring: { x: 'y' } });
  });

  it('summarises a platform by its instances and the newest report', () => {
    const summary = summarize([
      instance(ID_A, { deployed_at: '2026-12-07T10:01:00Z', launch_bindings: { deployment: { fingerprint: 'f' } } }),
      instance(ID_B, { launch_bindings: { deployment: { error: 'No.', failed_at: '2026-12-07T10:03:00Z' } } }),
      instance('cccccccc-cccc-4ccc-8ccc-ccccccccccc3'),
    ]);
    expect(summary).toEqual({ running: 1, failed: 1, deploying: 1, lastReport: '2026-12-07T10:03:00Z' });
    expect(countsText(summary)).toBe('1 running, 1 deploying, 1 failed');
    expect(countsText(summarize([]))).toBe('No instances');
  });
});

describe('the live instance store', () => {
  it('lists oldest first and applies events that carry the record', () => {
    let changes = 0;
    const store = new InstanceStore(() => changes++);
    store.replaceAll([instance(ID_B), instance(ID_A)], store.mark());
    expect(store.list().map((i) => i.id)).toEqual([ID_A, ID_B]);

    expect(store.apply(event('instance.updated', ID_A, { deployed_at: '2026-12-07T10:05:00Z', launch_bindings: { deployment: { fingerprint: 'f' } } }))).toBe(true);
    expect(store.get(ID_A)?.deployed_at).toBe('2026-12-07T10:05:00Z');
    expect(store.get(ID_A)?.created_at).toBe(instance(ID_A).created_at);

    expect(store.apply(event('instance.deleted', ID_B))).toBe(true);
    expect(store.list().map((i) => i.id)).toEqual([ID_A]);
    expect(changes).toBe(3);
  });

  it('asks for a read when an event carries no state', () => {
    const store = new InstanceStore(() => {});
    expect(store.apply(event('instance.updated', ID_A))).toBe(false);
  });

  it('keeps what events said after a listing began over what that listing returns', () => {
    const store = new InstanceStore(() => {});
    store.replaceAll([instance(ID_A)], store.mark());
    const mark = store.mark();
    // While the listing is on its way: A is reported deployed, and B is created.
    store.apply(event('instance.updated', ID_A, { deployed_at: '2026-12-07T10:05:00Z', launch_bindings: {} }));
    store.apply(event('instance.created', ID_B, { deployed_at: null, launch_bindings: {} }));
    // The listing, as the server had it before those events.
    store.replaceAll([instance(ID_A, { deployed_at: null })], mark);
    expect(store.get(ID_A)?.deployed_at).toBe('2026-12-07T10:05:00Z');
    expect(store.get(ID_B)).toBeDefined();

    // A deletion seen after a listing began is not undone by it either.
    const again = store.mark();
    store.apply(event('instance.deleted', ID_B));
    store.replaceAll([instance(ID_A), instance(ID_B)], again);
    expect(store.get(ID_B)).toBeUndefined();
    // The next listing is newer than every event: it wins.
    store.replaceAll([instance(ID_A, { deployed_at: null })], store.mark());
    expect(store.get(ID_A)?.deployed_at).toBeNull();
  });

  it("keeps a later change over a write's answer that arrives after its event", () => {
    const store = new InstanceStore(() => {});
    store.replaceAll([instance(ID_A, { updated_at: '2026-12-07T10:00:00.000Z' })], store.mark());
    // Saved settings (deployed_at cleared), then the agent's report on them, whose event comes
    // over the socket before the save's own answer comes over HTTP.
    store.apply(event('instance.updated', ID_A, { deployed_at: '2026-12-07T10:05:01Z', launch_bindings: { deployment: {} }, updated_at: '2026-12-07T10:05:01.123456+00:00' }));
    store.put(instance(ID_A, { deployed_at: null, updated_at: '2026-12-07T10:05:00.500Z' }));
    expect(store.get(ID_A)?.deployed_at).toBe('2026-12-07T10:05:01Z');
    // A newer answer stands.
    store.put(instance(ID_A, { deployed_at: null, updated_at: '2026-12-07T10:06:00.000Z' }));
    expect(store.get(ID_A)?.deployed_at).toBeNull();
  });

  it('drops a read that an event overtook', () => {
    const store = new InstanceStore(() => {});
    const settle = store.reading(ID_A);
    store.apply(event('instance.updated', ID_A, { deployed_at: '2026-12-07T10:05:00Z', launch_bindings: {} }));
    settle(instance(ID_A, { deployed_at: null }));
    expect(store.get(ID_A)?.deployed_at).toBe('2026-12-07T10:05:00Z');
    // A read nothing overtook stands, and a read that found nothing removes the instance.
    store.reading(ID_A)(instance(ID_A, { deployed_at: '2026-12-07T10:06:00Z' }));
    expect(store.get(ID_A)?.deployed_at).toBe('2026-12-07T10:06:00Z');
    store.reading(ID_A)(null);
    expect(store.get(ID_A)).toBeUndefined();
  });
});
