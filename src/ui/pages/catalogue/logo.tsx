/**
 * A product's logo in a box of fixed size (so nothing moves when it loads), fetched lazily and
 * only when the product says it has one; otherwise, or when it fails to load, a neutral tile
 * with the name's first letter. The name is always written next to it, so the image is
 * decorative (empty alt).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Product } from '../../../sdk/types/products.js';
import { uiConfig } from '../../config.js';
import { initial } from './words.js';

export function ProductLogo({ product, size }: { product: Product; size: 'small' | 'large' }): JSX.Element {
  const [failed, setFailed] = useState(false);
  const pixels = size === 'small' ? 64 : 96;
  const version = product.logo_updated_at;
  if (!version || failed) {
    return (
      <span class={`product-logo product-logo-${size} logo-tile`} aria-hidden="true">
        {initial(product.name)}
      </span>
    );
  }
  // The change time in the address: a new logo is a new URL, so no cache shows the old one.
  const src = `${uiConfig.marketplaceUrl}/products/${encodeURIComponent(product.id)}/logo/${size === 'small' ? 'small' : 'medium'}?v=${encodeURIComponent(version)}`;
  return (
    <span class={`product-logo product-logo-${size}`}>
      <img src={src} alt="" width={pixels} height={pixels} loading="lazy" decoding="async" onError={() => setFailed(true)} />
    </span>
  );
}
