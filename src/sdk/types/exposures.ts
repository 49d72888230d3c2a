import type { ClientId, Record_ } from './common.js';

/** An interface a build offers to others. */
export interface Exposure extends Record_ {
  build_id: string;
  interface_id: string;
}

export interface ExposureCreateParams extends ClientId {
  interface_id: string;
}

export type ExposureUpdateParams = Partial<Omit<ExposureCreateParams, 'id'>>;
