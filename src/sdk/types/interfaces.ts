import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/**
 * A standard interface a build exposes or depends on, e.g. FHIR R4. (The specification's
 * `url` field is the reference server's `uri`; `url` here is the self link.)
 */
export interface Interface extends Record_ {
  name: string;
  /** The interface's identifier, e.g. `http://hl7.org/fhir/R4`. */
  uri: string;
  version: string;
  /** Display order. */
  ordinal: number | null;
}

export interface InterfaceCreateParams extends ClientId {
  /** Unique. */
  name: string;
  /** Unique. */
  uri: string;
  version: string;
  ordinal?: number | null;
}

export type InterfaceUpdateParams = Partial<Omit<InterfaceCreateParams, 'id'>>;

export interface InterfaceListParams extends ListParams {
  sort?: 'name' | 'uri' | 'version' | (string & {});
}
