/** For the product's own publisher: where to change it, and the `hsp publish` way to keep it up to date. */
import type { JSX } from 'preact';
import type { Product } from '../../../sdk/types/products.js';
import { Link } from '../../router.js';

export function PublisherHint({ product }: { product: Product }): JSX.Element {
  return (
    <aside class="card publisher-hint" aria-labelledby="publisher-hint-heading">
      <h2 id="publisher-hint-heading">Publish this with hsp</h2>
      <p>
        You publish this product. Keep it in a manifest (<code>hsp.yaml</code>) next to its code and publish each new build from your laptop or CI:
      </p>
      <pre tabIndex={0} aria-label="Command">
        <code>hsp publish hsp.yaml</code>
      </pre>
      <p>
        <Link to={`publish/products/${product.id}`}>Edit this product</Link> to see its manifest, or change it here in the browser.
      </p>
    </aside>
  );
}
