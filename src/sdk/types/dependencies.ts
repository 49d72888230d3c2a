import type { ClientId, Record_ } from './common.js';

/** An interface a build needs from another product on the platform. */
export interface Dependency extends Record_ {
  build_id: string;
  interface_id: string;
  /** A column the reference server neither accepts nor renders; in the specification. */
  required?: boolean | null;
  /**
   * The variables the dependent gets from its provider: `{ENV_NAME: source}`, a source being a
   * parameter of the provider's exposure, `url`, `host`, `port`, or a `{placeholder}` template
   * of those. A JSON column, sent as a string.
   */
  mappings?: Record<string, unknown> | null;
}

export interface DependencyCreateParams extends ClientId {
  interface_id: string;
  required?: boolean;
  /** Sent as a JSON-encoded string. */
  mappings?: Record<string, unknown> | null;
}

export type DependencyUpdateParams = Partial<Omit<DependencyCreateParams, 'id'>>;
