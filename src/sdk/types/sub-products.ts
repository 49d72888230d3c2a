import type { ClientId, Record_ } from './common.js';

/** A parent product containing a child (product families; see `products.children`). */
export interface SubProduct extends Record_ {
  parent_id: string;
  child_id: string;
}

export interface SubProductCreateParams extends ClientId {
  parent_id: string;
  child_id: string;
}

export type SubProductUpdateParams = Partial<Omit<SubProductCreateParams, 'id'>>;
