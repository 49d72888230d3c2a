import type { ClientId, Record_ } from './common.js';

/** A setting an exposure needs at launch, e.g. `FHIR_BASE_URL`. */
export interface Parameter extends Record_ {
  exposure_id: string;
  name: string;
  required: boolean | null;
}

export interface ParameterCreateParams extends ClientId {
  name: string;
  required?: boolean;
}

export type ParameterUpdateParams = Partial<Omit<ParameterCreateParams, 'id'>>;
