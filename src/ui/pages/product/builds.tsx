/**
 * A product's builds, newest first: version, when it was published, its image and release
 * notes. The newest is open with its details; older ones open on demand (and only then load).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Build } from '../../../sdk/types/builds.js';
import type { Interface } from '../../../sdk/types/interfaces.js';
import type { Product } from '../../../sdk/types/products.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Loading, Time, useAsync } from '../../components/index.js';
import { paragraphs } from '../catalogue/words.js';
import { BuildDetails } from './build-details.js';
import { imageOf } from './task-words.js';

/** Builds shown; a product with more shows the newest ones and says so. */
const MAX_BUILDS = 20;

export function Builds({ product, interfaces }: { product: Product; interfaces: Map<string, Interface> | undefined }): JSX.Element {
  const builds = useAsync((signal) => api().builds.list(product.id, { perPage: MAX_BUILDS, sort: 'created_at', order: 'desc' }, { signal }), [product.id]);
  return (
    <section aria-labelledby="builds-heading" class="product-section">
      <h2 id="builds-heading">Builds</h2>
      {builds.error !== undefined && <ErrorNote error={builds.error} />}
      {!builds.data && !builds.error && <Loading label="Loading builds…" />}
      {builds.data && builds.data.items.length === 0 && <Empty title="No builds yet.">There is nothing to deploy until the publisher adds a build.</Empty>}
      {builds.data && builds.data.items.length > 0 && (
        <ul class="build-list">
          {builds.data.items.map((build, i) => (
            <li key={build.id}>
              <BuildItem build={build} newest={i === 0} interfaces={interfaces} />
            </li>
          ))}
        </ul>
      )}
      {builds.data?.hasNextPage() && <p class="muted">Showing the newest {MAX_BUILDS} builds.</p>}
    </section>
  );
}

function BuildItem({ build, newest, interfaces }: { build: Build; newest: boolean; interfaces: Map<string, Interface> | undefined }): JSX.Element {
  const [open, setOpen] = useState(newest);
  const image = imageOf(build);
  const notes = paragraphs(build.release_notes);
  return (
    <details class="build card" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>
        <h3 class="build-version">Version {build.version}</h3>
        {newest && <span class="badge badge-success">Latest</span>}
        <span class="muted build-date">
          {build.published_at ? (
            <>
              published <Time value={build.published_at} />
            </>
          ) : (
            <>
              added <Time value={build.created_at} />
            </>
          )}
        </span>
      </summary>
      <div class="build-body">
        <p>
          {image ? (
            <>
              Image <code class="build-image">{image}</code>
            </>
          ) : (
            <span class="muted">No container image{build.asset_available ? '; an asset file is attached' : ''}.</span>
          )}
        </p>
        <h4>Release notes</h4>
        {notes.length ? (
          <div class="release-notes">
            {notes.map((text, i) => (
              <p key={i}>{text}</p>
            ))}
          </div>
        ) : (
          <p class="muted">No release notes.</p>
        )}
        {open && <BuildDetails build={build} interfaces={interfaces} />}
      </div>
    </details>
  );
}
