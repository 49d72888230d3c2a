/**
 * The claim data: what the specification says a product receives from the platform that runs
 * it, so it can find its marketplace and ask, itself, whether its user may use it. Every task
 * gets these `HSP_*` variables; they are the agent's alone (an instance's input may not set
 * them, and they win over every other layer of the environment).
 */
import type { Instance } from '../index.js';

export interface ClaimDataSource {
  /** The marketplace base URL the agent uses (`client.baseUrl`), without a trailing slash. */
  marketplaceUrl: string;
  platform: { id: string; user_id: string };
  instance: Pick<Instance, 'id' | 'build_id'>;
  productId: string;
}

/** The `HSP_*` variables of one instance's tasks. */
export function claimDataOf(source: ClaimDataSource): Record<string, string> {
  const marketplace = source.marketplaceUrl.replace(/\/+$/, '');
  const owner = source.platform.user_id.toLowerCase();
  const product = source.productId.toLowerCase();
  return {
    HSP_MARKETPLACE_URL: marketplace,
    HSP_PLATFORM_ID: source.platform.id.toLowerCase(),
    HSP_INSTANCE_ID: source.instance.id.toLowerCase(),
    HSP_PRODUCT_ID: product,
    HSP_BUILD_ID: source.instance.build_id.toLowerCase(),
    HSP_CLAIMANT_ID: owner,
    HSP_CLAIMANT_TYPE: 'User',
    // The route a product calls to ask whether its claimant may use it (api.md's Authorization).
    HSP_AUTHORIZATION_URL: `${marketplace}/authorizations/users/${encodeURIComponent(owner)}/products/${encodeURIComponent(product)}`,
  };
}
