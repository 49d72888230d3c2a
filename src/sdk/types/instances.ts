import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** A build running (or to run) on a platform. */
export interface Instance extends Record_ {
  platform_id: string;
  build_id: string;
  /** Runtime settings the platform agent chose; always an object to callers. */
  launch_bindings: Record<string, unknown>;
  /** When the agent deployed it; `null` while not deployed. */
  deployed_at: string | null;
  /** The build's product (whose URL the build is below); `hsp serve` renders it, the reference server does not. */
  product_id?: string | null;
}

export interface InstanceCreateParams extends ClientId {
  build_id: string;
  /** Sent as a JSON-encoded string (the reference server drops JSON objects here). */
  launch_bindings?: Record<string, unknown>;
  deployed_at?: string | null;
}

/** `deployed_at: null` clears it. */
export type InstanceUpdateParams = Partial<Omit<InstanceCreateParams, 'id'>>;

export type InstanceListParams = ListParams;
