import type { ClientId, Record_ } from './common.js';

/** Declares that `substitute_id` may stand in for `interface_id`. */
export interface Surrogate extends Record_ {
  interface_id: string;
  substitute_id: string;
}

export interface SurrogateCreateParams extends ClientId {
  /** The interface that can substitute for the parent one. */
  substitute_id: string;
}

export type SurrogateUpdateParams = Partial<Omit<SurrogateCreateParams, 'id'>>;
