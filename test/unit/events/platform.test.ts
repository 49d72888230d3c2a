import { describe, expect, it } from 'vitest';
import { parsePlatformEvent } from '../../../src/index.js';
import { capture } from '../../helpers/captures.js';
import { withCaptures } from '../../helpers/skips.js';

/** The reference server's only broadcast, verbatim (capture 287). */
const reference = {
  resource_type: 'instance',
  event_type: 'created',
  message: 'A build instance has been added to the platform.',
  model: {
    instance: {
      build: { id: '931cc915-a828-4d9c-86dc-4a11a0b4be4e', container_repository: 'p3000/cql-translation-product/', container_tag: 'v1.0.2', product: { id: '2e25631c-eb8f-4594-8593-2894e3d24f62' } },
      platform: { id: '3d9d0872-a1f5-4e4b-9324-af608b423aae', user: { id: '53ae2c3f-a31f-4a95-a8c9-536f9c6cfde2' } },
    },
  },
};

describe('parsePlatformEvent', () => {
  it('reads the reference payload (no instance id)', () => {
    const event = parsePlatformEvent(reference);
    expect(event).toMatchObject({
      type: 'instance.created',
      platformId: '3d9d0872-a1f5-4e4b-9324-af608b423aae',
      buildId: '931cc915-a828-4d9c-86dc-4a11a0b4be4e',
      message: 'A build instance has been added to the platform.',
      instance: { build: { container_tag: 'v1.0.2', product: { id: '2e25631c-eb8f-4594-8593-2894e3d24f62' } } },
    });
    expect(event).not.toHaveProperty('instanceId');
  });

  it('reads Release 1 `service` as the product', () => {
    const r1 = structuredClone(reference) as { model: { instance: { build: Record<string, unknown> } } };
    r1.model.instance.build.service = r1.model.instance.build.product;
    delete r1.model.instance.build.product;
    const event = parsePlatformEvent(r1);
    expect(event.type === 'instance.created' && event.instance.build.product?.id).toBe('2e25631c-eb8f-4594-8593-2894e3d24f62');
  });

  it.each(['created', 'updated', 'deleted'] as const)('reads our %s events with the instance id', (kind) => {
    const ours = structuredClone(reference) as { event_type: string; model: { instance: Record<string, unknown> } };
    ours.event_type = kind;
    ours.model.instance.id = 'b2c1e3a4-0000-4000-8000-000000000001';
    ours.model.instance.launch_bindings = { PORT: '8080' };
    ours.model.instance.deployed_at = null;
    const event = parsePlatformEvent(ours);
    expect(event).toMatchObject({ type: `instance.${kind}`, instanceId: 'b2c1e3a4-0000-4000-8000-000000000001', instance: { launch_bindings: { PORT: '8080' }, deployed_at: null } });
  });

  it.each([
    [null, 'The event is not a JSON object.'],
    ['text', 'The event is not a JSON object.'],
    [{ resource_type: 'product', event_type: 'created' }, 'Events about "product" are not understood.'],
    [{ resource_type: 'instance', event_type: 'exploded' }, 'Instance events of type "exploded" are not understood.'],
    [{ resource_type: 'instance', event_type: 'created' }, 'The event has no model.instance.'],
    [{ resource_type: 'instance', event_type: 'created', model: { instance: { platform: { id: 'p' } } } }, 'The event names no build.'],
    [{ resource_type: 'instance', event_type: 'created', model: { instance: { build: { id: 'b' } } } }, 'The event names no platform.'],
  ])('turns %j into an unknown event, never an exception', (raw, reason) => {
    expect(parsePlatformEvent(raw)).toEqual(expect.objectContaining({ type: 'unknown', reason, raw }));
  });

  describe('the whole record', () => {
    const id = 'b2c1e3a4-0000-4000-8000-000000000001';
    /** `hsp serve`'s created event: the reference shape plus the record's own fields. */
    function ours(kind = 'created'): { event_type: string; model: { instance: Record<string, unknown> } } {
      const event = structuredClone(reference) as { event_type: string; model: { instance: Record<string, unknown> } };
      event.event_type = kind;
      Object.assign(event.model.instance, {
        id,
        platform_id: reference.model.instance.platform.id,
        build_id: reference.model.instance.build.id,
        product_id: reference.model.instance.build.product.id,
        launch_bindings: { environment: { PORT: '8080' } },
        deployed_at: null,
        created_at: '2026-12-07T10:00:00.000Z',
        updated_at: '2026-12-07T10:00:01.000Z',
        path: `/users/u/platforms/${reference.model.instance.platform.id}/instances/${id}.json`,
      });
      return event;
    }

    it.each(['created', 'updated'])('is the instance as a read answers it, from a %s event that carries every field', (kind) => {
      const event = parsePlatformEvent(ours(kind));
      expect(event.type !== 'unknown' && event.record).toEqual({
        id,
        platform_id: '3d9d0872-a1f5-4e4b-9324-af608b423aae',
        build_id: '931cc915-a828-4d9c-86dc-4a11a0b4be4e',
        product_id: '2e25631c-eb8f-4594-8593-2894e3d24f62',
        launch_bindings: { environment: { PORT: '8080' } },
        deployed_at: null,
        created_at: '2026-12-07T10:00:00.000Z',
        updated_at: '2026-12-07T10:00:01.000Z',
        path: `/users/u/platforms/3d9d0872-a1f5-4e4b-9324-af608b423aae/instances/${id}.json`,
      });
    });

    it.each([
      ['the launch bindings (left out when too large for a notification)', 'launch_bindings'],
      ['deployed_at', 'deployed_at'],
      ['created_at', 'created_at'],
      ['updated_at', 'updated_at'],
      ['the instance id', 'id'],
    ])('is absent without %s: the agent reads the instance then', (_what, field) => {
      const event = ours();
      delete event.model.instance[field];
      const parsed = parsePlatformEvent(event);
      expect(parsed.type).toBe('instance.created');
      expect(parsed).not.toHaveProperty('record');
    });

    it('is absent when the record names another build or platform than the event does', () => {
      for (const field of ['build_id', 'platform_id']) {
        const event = ours();
        event.model.instance[field] = '00000000-0000-4000-8000-000000000000';
        expect(parsePlatformEvent(event)).not.toHaveProperty('record');
      }
    });

    it('is absent from a deleted event, whose record no longer exists', () => {
      expect(parsePlatformEvent(ours('deleted'))).not.toHaveProperty('record');
    });

    it('is absent from the reference server\'s event', () => {
      expect(parsePlatformEvent(reference)).not.toHaveProperty('record');
    });
  });

  withCaptures.it('reads the recorded broadcast frame', () => {
    const frames = (capture('287-ws-platform-channel-subscribe-broadcast') as unknown as { frames: { dir: string; data: { message?: unknown } }[] }).frames;
    const broadcast = frames.find((f) => f.dir === 'recv' && f.data.message && typeof f.data.message === 'object');
    expect(parsePlatformEvent(broadcast?.data.message).type).toBe('instance.created');
  });
});
