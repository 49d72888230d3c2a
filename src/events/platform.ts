/**
 * Platform events: what a marketplace tells the agents of one platform. Parsed tolerantly from
 * the reference server's payload (instance created, no instance id, `build.product` or
 * `build.service`) and from `hsp serve`'s (created, updated and deleted, with `model.instance.id`).
 * Anything else is an `unknown` event, never an exception.
 */
import type { Instance } from '../sdk/types/instances.js';

export interface InstanceEventModel {
  /** Absent from the reference server's events: reconcile over REST to learn it. */
  id?: string;
  build: { id: string; container_repository?: string | null; container_tag?: string | null; product?: { id: string } };
  platform: { id: string; user?: { id: string } };
  launch_bindings?: Record<string, unknown>;
  deployed_at?: string | null;
  /** The record's own fields, as `GET` renders them (`hsp serve` sends them; the reference server does not). */
  platform_id?: string;
  build_id?: string;
  product_id?: string | null;
  created_at?: string;
  updated_at?: string;
  path?: string;
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
  /**
   * The instance as it is after the change, when a created or updated event carries the whole
   * record (`hsp serve`'s do, unless the launch bindings were too large for a notification):
   * what `instances.retrieve` would answer, without the `url`, which depends on how the
   * marketplace is reached.
   */
  record?: Instance;
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
    ...stringField(instance, 'platform_id'),
    ...stringField(instance, 'build_id'),
    ...('product_id' in instance ? { product_id: stringOrNull(instance.product_id) } : {}),
    ...stringField(instance, 'created_at'),
    ...stringField(instance, 'updated_at'),
    ...stringField(instance, 'path'),
  };
  const record = type === 'instance.deleted' ? undefined : wholeRecord(model_);
  return {
    type,
    instance: model_,
    platformId: platform.id,
    buildId: build.id,
    ...(model_.id ? { instanceId: model_.id } : {}),
    ...(record ? { record } : {}),
    message: textOf(raw),
    raw,
  };
}

/**
 * The record, when the model holds every field of it and they agree with the event's own build
 * and platform; otherwise undefined (read it over REST).
 */
function wholeRecord(model: InstanceEventModel): Instance | undefined {
  const { id, launch_bindings, deployed_at, created_at, updated_at } = model;
  if (id === undefined || launch_bindings === undefined || deployed_at === undefined || created_at === undefined || updated_at === undefined) return undefined;
  if (model.platform_id !== model.platform.id || model.build_id !== model.build.id) return undefined;
  return {
    id,
    platform_id: model.platform.id,
    build_id: model.build.id,
    launch_bindings,
    deployed_at,
    product_id: model.product_id ?? model.build.product?.id ?? null,
    created_at,
    updated_at,
    ...(model.path === undefined ? {} : { path: model.path }),
  };
}

function stringField<K extends string>(source: Record<string, unknown>, key: K): Partial<Record<K, string>> {
  const value = source[key];
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
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
