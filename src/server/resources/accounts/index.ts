/** Accounts and access: users, identities, identity providers, roles, groups and their joins, platforms and instances. */
import type { ResourceDefinition } from '../definition.js';
import { appointments } from './appointments.js';
import { groups } from './groups.js';
import { identities } from './identities.js';
import { identityProviders } from './identity-providers.js';
import { instances } from './instances.js';
import { members } from './members.js';
import { platforms } from './platforms.js';
import { roles } from './roles.js';
import { users } from './users.js';

export const accountDefinitions: readonly ResourceDefinition[] = [
  users,
  identities,
  identityProviders,
  roles,
  appointments,
  groups,
  members,
  platforms,
  instances,
];
