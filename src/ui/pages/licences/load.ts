/**
 * Everything the licences page shows, in one load: the caller's entitlements and, when they
 * publish products, their products' offers, vouchers and the entitlements others hold to them.
 */
import type { Entitlement, EntitlementListParams } from '../../../sdk/types/entitlements.js';
import type { Product } from '../../../sdk/types/products.js';
import type { Voucher, VoucherListParams } from '../../../sdk/types/vouchers.js';
import { api } from '../../api.js';
import { can } from '../../session.js';
import { allLicenses, findOffers, offersOf, type Offer } from './offers.js';
import { termsOf, type EntitlementTerms } from './standing.js';

export interface EntitlementRow {
  entitlement: Entitlement;
  offer: Offer | undefined;
  terms: EntitlementTerms;
  /** The holder's name when the caller may read users. */
  holder: string | undefined;
}

export interface PublisherData {
  products: Product[];
  /** My products' offers, sorted by product then licence. */
  offers: Offer[];
  vouchers: Voucher[];
  entitlements: EntitlementRow[];
}

export interface LicencesData {
  mine: EntitlementRow[];
  /** Only for users who own products. */
  publisher: PublisherData | undefined;
}

export async function loadLicences(me: string, signal: AbortSignal): Promise<LicencesData> {
  const [licenses, products] = await Promise.all([allLicenses(signal), ownProducts(me, signal)]);
  const ownOffers = offersOf(products, licenses);
  // The filters are the server's (`?user_id=`, `?product_license_id=`); the SDK's list
  // parameters do not name them. Filtered, because an administrator may read every row.
  const mineParams: EntitlementListParams & { user_id: string } = { user_id: me };
  const offerIds = [...ownOffers.keys()];
  const ofOffer = (id: string): EntitlementListParams & VoucherListParams & { product_license_id: string } => ({ product_license_id: id });
  const [held, ofMyProducts, vouchers] = await Promise.all([
    api().entitlements.list(mineParams, { signal }),
    Promise.all(offerIds.map((id) => api().entitlements.list(ofOffer(id), { signal }).then((page) => page.items))).then((lists) => lists.flat()),
    Promise.all(offerIds.map((id) => api().vouchers.list(ofOffer(id), { signal }).then((page) => page.items))).then((lists) => lists.flat()),
  ]);
  const found = await findOffers(
    held.items.flatMap((e) => (e.product_license_id ? [e.product_license_id] : [])),
    ownOffers,
    licenses,
    signal,
  );
  const offers = new Map([...ownOffers, ...found]);
  const names = await holderNames(ofMyProducts, signal);
  const rows = async (list: Entitlement[]): Promise<EntitlementRow[]> =>
    Promise.all(
      list.map(async (entitlement) => {
        const offer = offers.get(entitlement.product_license_id ?? '');
        const used = await usesOf(entitlement, offer, signal);
        return { entitlement, offer, terms: termsOf(entitlement, offer?.license, used), holder: names.get(entitlement.user_id ?? '') };
      }),
    );
  const [mine, theirs] = await Promise.all([rows(held.items), rows(ofMyProducts)]);
  return {
    mine: mine.sort(byProduct),
    publisher: products.length
      ? {
          products,
          offers: [...ownOffers.values()].sort((a, b) => a.product.name.localeCompare(b.product.name) || (a.license?.name ?? '').localeCompare(b.license?.name ?? '')),
          vouchers: vouchers.sort(newestFirst),
          entitlements: theirs.sort(byProduct),
        }
      : undefined,
  };
}

/** Products whose owner is the caller (an administrator reads every product, so filter by owner). */
async function ownProducts(me: string, signal: AbortSignal): Promise<Product[]> {
  const products: Product[] = [];
  for await (const product of api().products.list({ user_id: me, perPage: 100, sort: 'name' }, { signal })) products.push(product);
  return products;
}

/** Uses so far, over all the entitlement's claims; asked only when the licence counts uses. */
async function usesOf(entitlement: Entitlement, offer: Offer | undefined, signal: AbortSignal): Promise<number> {
  if (!offer?.license?.uses) return 0;
  const claims = await api().claims.list(entitlement.id, undefined, { signal });
  return claims.items.reduce((sum, claim) => sum + (claim.authorization_count ?? 0), 0);
}

/** Names of the holders, for those who may read users; others see an id. */
async function holderNames(entitlements: Entitlement[], signal: AbortSignal): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (!can('users', 'read')) return names;
  const ids = [...new Set(entitlements.flatMap((e) => (e.user_id ? [e.user_id] : [])))];
  const users = await Promise.all(ids.map((id) => api().users.retrieve(id, { signal }).catch(() => undefined)));
  for (const user of users) if (user) names.set(user.id, user.name);
  return names;
}

function byProduct(a: EntitlementRow, b: EntitlementRow): number {
  return (a.offer?.product.name ?? '\uffff').localeCompare(b.offer?.product.name ?? '\uffff') || b.entitlement.created_at.localeCompare(a.entitlement.created_at);
}

function newestFirst(a: Voucher, b: Voucher): number {
  return b.created_at.localeCompare(a.created_at);
}
