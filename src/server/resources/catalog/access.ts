/**
 * Who may see and change catalogue records. Everything below a product follows the product:
 * readable when the product is (published, its owner, or `products.read`), writable by the
 * product's owner or by a role granting the record's own noun (e.g. `builds.create`).
 */
import type { Verb } from '../../auth/permissions.js';
import { productOwner, productPublished, type ResourceDefinition } from '../definition.js';

export const ALL_VERBS: readonly Verb[] = ['read', 'create', 'update', 'delete'];

/** Global reference data (licences, interfaces, badges): anyone reads, roles write. */
export const PUBLIC_READ = { publicWhere: 'TRUE' } as const satisfies Partial<ResourceDefinition>;

/** Access of a record below a product, given SQL (over alias `r`) for its product's id. */
export function belowProduct(productId: string) {
  return {
    publicWhere: productPublished(productId),
    ownerExpr: productOwner(productId),
    ownerVerbs: ALL_VERBS,
    readNouns: ['products'],
  } as const satisfies Partial<ResourceDefinition>;
}

/** SQL for the product id of a row, through its parents. */
export const productOf = {
  build: (buildId: string) => `(SELECT b.product_id FROM builds b WHERE b.id = ${buildId})`,
  exposure: (exposureId: string) => `(SELECT b.product_id FROM exposures e JOIN builds b ON b.id = e.build_id WHERE e.id = ${exposureId})`,
  configuration: (configurationId: string) =>
    `(SELECT b.product_id FROM configurations c JOIN builds b ON b.id = c.build_id WHERE c.id = ${configurationId})`,
  productLicense: (productLicenseId: string) => `(SELECT pl.product_id FROM product_licenses pl WHERE pl.id = ${productLicenseId})`,
  entitlement: (entitlementId: string) =>
    `(SELECT pl.product_id FROM entitlements e JOIN product_licenses pl ON pl.id = e.product_license_id WHERE e.id = ${entitlementId})`,
};
