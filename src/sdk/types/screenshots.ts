import type { Record_ } from './common.js';

export interface Screenshot extends Record_ {
  product_id: string;
  caption: string;
}
