/**
 * Platform events: what a marketplace tells the agents of one platform. Parsed tolerantly from
 * the reference server's payload (instance created, no instance id, `build.product` or
 * `build.service`) and from `hsp serve`'s (created, updated and deleted, with `model.instance.id`).
 * Anything else is an `unknown` event, never an exception.
 */

export interface InstanceEventModel {
  /** Absent from the reference server's events: reconcile over REST to learn it. */
  id?: string;
  build: { id: string; container_repository?: string | null; container_tag?: string | null; product?: { id: string } };
  platform: { id: string; user?: { id: string } };
  launch_bindings?: Record<string, unknown>;
  deployed_at?: string | null;
}

interface EventBase {
  /** The frame's `message` text, e.g. "A build instance has been added to the platform." */
  message?: string;
  /** The broadcast exactly as received. */
  raw: unknown;
}

export type InstanceEventType = 'instance.created' | 'instance.updated' | 'instance.deleted';

export interface InstanceEvent extends EventBase {
  type: InstanceEventType;
  instance: InstanceEventModel;
  platformId: string;
  buildId: string;
  /** The instance id when the server sends it (ours does, the reference server does not). */
  instanceId?: string;
}

export interface UnknownEvent extends EventBase {
  type: 'unknown';
  /** Why it was not understood, in one sentence. */
  reason: string;
}

export type PlatformEvent = InstanceEvent | UnknownEvent;

const EVENT_TYPES: Record<string, InstanceEventType> = {
  created: 'instance.created',
  updated: 'instance.updated',
  deleted: 'instance.deleted',
  destroyed: 'instance.deleted',
};

export function parsePlatformEvent(raw: unknown): PlatformEvent {
  const unknown = (reason: string): UnknownEvent => ({ type: 'unknown', reason, raw, message: textOf(raw) });
  if (!isObject(raw)) return unknown('The event is not a JSON object.');
  if (raw.resource_type !== 'instance') return unknown(`Events about "${String(raw.resource_type)}" are not understood.`);
  const type = EVENT_TYPES[String(raw.event_type)];
  if (!type) return unknown(`Instance events of type "${String(raw.event_type)}" are not understood.`);
  const model = isObject(raw.model) ? raw.model : undefined;
  const instance = model && isObject(model.instance) ? model.instance : undefined;
  if (!instance) return unknown('The event has no model.instance.');
  const build = isObject(instance.build) ? instance.build : undefined;
  const platform = isObject(instance.platform) ? instance.platform : undefined;
  if (!build || typeof build.id !== 'string') return unknown('The event names no build.');
  if (!platform || typeof platform.id !== 'string') return unknown('The event names no platform.');

  // Release 1 servers say `service` where Release 2 says `product`.
  const product = isObject(build.product) ? build.product : isObject(build.service) ? build.service : undefined;
  const model_: InstanceEventModel = {
    ...(typeof instance.id === 'string' ? { id: instance.id } : {}),
    build: {
      id: build.id,
      container_repository: stringOrNull(build.container_repository),
      container_tag: stringOrNull(build.container_tag),
      ...(product && typeof product.id === 'string' ? { product: { id: product.id } } : {}),
    },
    platform: {
      id: platform.id,
      ...(isObject(platform.user) && typeof platform.user.id === 'string' ? { user: { id: platform.user.id } } : {}),
    },
    ...(isObject(instance.launch_bindings) ? { launch_bindings: instance.launch_bindings } : {}),
    ...('deployed_at' in instance ? { deployed_at: stringOrNull(instance.deployed_at) } : {}),
  };
  return {
    type,
    instance: model_,
    platformId: platform.id,
    buildId: build.id,
    ...(model_.id ? { instanceId: model_.id } : {}),
    message: textOf(raw),
    raw,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function textOf(raw: unknown): string | undefined {
  return isObject(raw) && typeof raw.message === 'string' ? raw.message : undefined;
}
