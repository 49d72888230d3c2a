/** One product in the catalogue: logo, name (the link to its page), summary, MIME type and licences. */
import type { JSX } from 'preact';
import type { License } from '../../../sdk/types/licenses.js';
import type { Product } from '../../../sdk/types/products.js';
import { Link } from '../../router.js';
import { ProductLogo } from './logo.js';
import { orDash, summary } from './words.js';

export function ProductCard({ product, licenseNames }: { product: Product; licenseNames: Map<string, License> | undefined }): JSX.Element {
  const text = summary(product.description);
  return (
    <article class="product-card">
      <ProductLogo product={product} size="small" />
      <div class="product-card-body">
        <h2 class="product-card-name">
          <Link to={`products/${product.id}`}>{product.name}</Link>
        </h2>
        <p class={text ? 'product-card-summary' : 'product-card-summary muted'}>{text || 'No description.'}</p>
        <dl class="product-card-facts">
          <div>
            <dt>MIME type</dt>
            <dd>
              <code>{orDash(product.mime_type)}</code>
            </dd>
          </div>
          <div>
            <dt>Licences</dt>
            <dd>{licenceText(product, licenseNames)}</dd>
          </div>
        </dl>
      </div>
    </article>
  );
}

/** Names from the marketplace's licence list (one request for the whole page); a count while it loads. */
function licenceText(product: Product, names: Map<string, License> | undefined): string {
  const offers = product.product_licenses ?? [];
  if (!offers.length) return 'None listed';
  const known = offers.map((offer) => names?.get(offer.license_id)?.name).filter((name): name is string => Boolean(name));
  if (known.length === offers.length) return known.join(', ');
  const unknown = offers.length - known.length;
  const rest = `${unknown} other${unknown === 1 ? '' : 's'}`;
  if (known.length) return `${known.join(', ')} and ${rest}`;
  return offers.length === 1 ? '1 licence' : `${offers.length} licences`;
}
