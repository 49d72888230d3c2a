/** Accounts and access: users, identities, identity providers, roles, groups and their joins, platforms and instances. */
import type { ResourceDefinition } from '../definition.js';

export const accountDefinitions: readonly ResourceDefinition[] = [];
