/** The catalogue below and beside products: licences, builds and their parts, screenshots, interfaces, entitlements. */
import type { ResourceDefinition } from '../definition.js';
import { attempts } from './attempts.js';
import { badges } from './badges.js';
import { builds } from './builds.js';
import { claims } from './claims.js';
import { configurations } from './configurations.js';
import { dependencies } from './dependencies.js';
import { entitlements } from './entitlements.js';
import { exposures } from './exposures.js';
import { interfaces } from './interfaces.js';
import { licenses } from './licenses.js';
import { parameters } from './parameters.js';
import { productLicenses } from './product-licenses.js';
import { screenshots } from './screenshots.js';
import { subProducts } from './sub-products.js';
import { surrogates } from './surrogates.js';
import { tasks } from './tasks.js';
import { vouchers } from './vouchers.js';

export const catalogDefinitions: readonly ResourceDefinition[] = [
  licenses,
  productLicenses,
  builds,
  dependencies,
  exposures,
  parameters,
  configurations,
  tasks,
  screenshots,
  subProducts,
  badges,
  interfaces,
  surrogates,
  entitlements,
  claims,
  vouchers,
  attempts,
];
