/**
 * The same product as a manifest for `hsp publish`: publishers who keep their product in a
 * repository (and publish from CI) see what to write. The product's id ties the manifest to
 * this product, so publishing it updates this one instead of creating another.
 */
import type { JSX } from 'preact';
import type { Build } from '../../../sdk/types/builds.js';
import type { Product } from '../../../sdk/types/products.js';
import { uiConfig } from '../../config.js';

export function PublishHint({ product, build }: { product: Product; build?: Build }): JSX.Element {
  return (
    <section class="card" aria-labelledby="hint-heading">
      <h2 id="hint-heading">Publish from the command line</h2>
      <p>
        Keep this product in a manifest next to its code and publish it with <code>hsp publish</code>. Save this as <code>hsp.yaml</code>, then run{' '}
        <code>hsp publish hsp.yaml --dry-run</code> to see the plan and <code>hsp publish hsp.yaml</code> to apply it:
      </p>
      <pre class="pub-manifest" tabIndex={0} aria-label="hsp.yaml for this product">
        {manifestFor(product, build)}
      </pre>
    </section>
  );
}

/** YAML by hand: JSON strings are valid YAML scalars, so every value is quoted safely. */
export function manifestFor(product: Product, build?: Build): string {
  const q = (value: string) => JSON.stringify(value);
  const lines = [`marketplace_url: ${q(uiConfig.marketplaceUrl)}`, 'product:', `  id: ${product.id}`, `  name: ${q(product.name)}`];
  if (product.description) lines.push(`  description: ${q(product.description)}`);
  if (product.mime_type) lines.push(`  mime_type: ${q(product.mime_type)}`);
  if (product.uri) lines.push(`  uri: ${q(product.uri)}`);
  if (product.support_url) lines.push(`  support_url: ${q(product.support_url)}`);
  if (product.locale) lines.push(`  locale: ${q(product.locale)}`);
  lines.push('build:', `  version: ${q(build?.version ?? '1.0.0')}`);
  if (build?.release_notes) lines.push(`  release_notes: ${q(build.release_notes)}`);
  if (build?.container_repository) lines.push(`  image: ${q(build.container_tag ? `${build.container_repository}:${build.container_tag}` : build.container_repository)}`);
  else lines.push('  # image: "registry.example.org/team/app:1.0.0"');
  return `${lines.join('\n')}\n`;
}
