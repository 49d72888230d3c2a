/**
 * Entitlements and vouchers name only a product licence (an "offer": one licence of one
 * product), and the API has no way from an offer to its product but the product's own list of
 * offers. So offers are found in the products the caller may read, the caller's own first,
 * reading pages only until every offer asked about is found. The licences themselves are a
 * short public list, read whole.
 */
import type { License } from '../../../sdk/types/licenses.js';
import type { Product } from '../../../sdk/types/products.js';
import { api } from '../../api.js';

export interface Offer {
  /** The product licence's id. */
  id: string;
  product: Pick<Product, 'id' | 'name' | 'user_id'>;
  license: License | undefined;
}

/** Enough for any real catalogue while bounding what a page may cost (100 products a page). */
const MAX_PRODUCT_PAGES = 20;

export async function allLicenses(signal: AbortSignal): Promise<Map<string, License>> {
  const licenses = new Map<string, License>();
  for await (const license of api().licenses.list({ perPage: 100 }, { signal })) licenses.set(license.id, license);
  return licenses;
}

/** The offers of these products, by product licence id. */
export function offersOf(products: readonly Product[], licenses: Map<string, License>): Map<string, Offer> {
  const offers = new Map<string, Offer>();
  for (const product of products) {
    for (const offer of product.product_licenses ?? []) {
      offers.set(offer.id, { id: offer.id, product: { id: product.id, name: product.name, user_id: product.user_id }, license: licenses.get(offer.license_id) });
    }
  }
  return offers;
}

/**
 * The offers with these ids, looked up in `known` and then in the products the caller may
 * read; an id not found (a product since unpublished or deleted) is simply absent.
 */
export async function findOffers(ids: Iterable<string>, known: Map<string, Offer>, licenses: Map<string, License>, signal: AbortSignal): Promise<Map<string, Offer>> {
  const found = new Map<string, Offer>();
  const missing = new Set<string>();
  for (const id of ids) {
    const offer = known.get(id);
    if (offer) found.set(id, offer);
    else missing.add(id);
  }
  let pages = 0;
  let page = missing.size ? await api().products.list({ perPage: 100, sort: 'name' }, { signal }) : undefined;
  while (page && missing.size) {
    for (const [id, offer] of offersOf(page.items, licenses)) {
      if (missing.delete(id)) found.set(id, offer);
    }
    pages += 1;
    page = missing.size && page.hasNextPage() && pages < MAX_PRODUCT_PAGES ? await page.getNextPage({ signal }) : undefined;
  }
  return found;
}
