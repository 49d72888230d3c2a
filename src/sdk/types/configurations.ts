import type { ClientId, Record_ } from './common.js';

/** A named way to run a build (its tasks say what runs). */
export interface Configuration extends Record_ {
  build_id: string;
  name: string;
}

export interface ConfigurationCreateParams extends ClientId {
  name: string;
}

export type ConfigurationUpdateParams = Partial<Omit<ConfigurationCreateParams, 'id'>>;
