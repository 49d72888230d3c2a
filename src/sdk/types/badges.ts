import type { ClientId, Record_ } from './common.js';

/** A label a product can carry (e.g. "certified"). */
export interface Badge extends Record_ {
  name: string;
  description: string | null;
}

export interface BadgeCreateParams extends ClientId {
  name: string;
  description?: string | null;
}

export type BadgeUpdateParams = Partial<Omit<BadgeCreateParams, 'id'>>;
