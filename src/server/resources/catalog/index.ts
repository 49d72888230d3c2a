/** The catalogue below and beside products: licences, builds and their parts, screenshots, interfaces, entitlements. */
import type { ResourceDefinition } from '../definition.js';

export const catalogDefinitions: readonly ResourceDefinition[] = [];
