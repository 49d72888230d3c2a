/** Every resource noun of the CLI, in the order `hsp --help` lists them (grouped by `group`). */
import type { NounSpec } from '../resource-command.js';
import { builds } from './builds.js';
import { configurations } from './configurations.js';
import { dependencies } from './dependencies.js';
import { entitlements } from './entitlements.js';
import { exposures } from './exposures.js';
import { groups } from './groups.js';
import { identityProviders } from './identity-providers.js';
import { instances } from './instances.js';
import { interfaces } from './interfaces.js';
import { licenses } from './licenses.js';
import { parameters } from './parameters.js';
import { platforms } from './platforms.js';
import { products } from './products.js';
import { roles } from './roles.js';
import { screenshots } from './screenshots.js';
import { tasks } from './tasks.js';
import { users } from './users.js';
import { vouchers } from './vouchers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of differently typed nouns
export const nouns: NounSpec<any>[] = [
  products,
  builds,
  configurations,
  tasks,
  exposures,
  dependencies,
  parameters,
  screenshots,
  licenses,
  entitlements,
  vouchers,
  platforms,
  instances,
  interfaces,
  users,
  roles,
  groups,
  identityProviders,
];
