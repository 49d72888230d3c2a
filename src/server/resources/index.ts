/** Every resource the marketplace serves through the generic routes. */
import type { ResourceDefinition } from './definition.js';
import { products } from './products.js';

export const definitions: readonly ResourceDefinition[] = [products];
