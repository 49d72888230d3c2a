/** Every resource the marketplace serves through the generic routes. */
import { accountDefinitions } from './accounts/index.js';
import { catalogDefinitions } from './catalog/index.js';
import type { ResourceDefinition } from './definition.js';
import { products } from './products.js';

export const definitions: readonly ResourceDefinition[] = [products, ...accountDefinitions, ...catalogDefinitions];
