/**
 * `publish/products/:id`: everything about one product its owner (or an editor) may change:
 * its fields, logo, screenshots, licences and builds, and publishing where the role allows.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Product } from '../../../sdk/types/products.js';
import { api } from '../../api.js';
import { ErrorNote, Loading, PageTitle, useAsync } from '../../components/index.js';
import { BuildsList } from './builds-list.js';
import { LicencesEditor } from './licences-editor.js';
import { LogoEditor } from './logo-editor.js';
import { ProductActions } from './product-actions.js';
import { ProductForm, toParams, valuesOf } from './product-form.js';
import { PublishHint } from './publish-hint.js';
import { ScreenshotsEditor } from './screenshots-editor.js';
import { Breadcrumbs, PublishedBadge, SaveStatus, useSaveStatus } from './shared.js';
import { SignedInOnly } from '../../components/index.js';

export default function EditProductPage({ params }: { params: Record<string, string> }): JSX.Element {
  return (
    <SignedInOnly>
      <EditProduct productId={params.id ?? ''} />
    </SignedInOnly>
  );
}

function EditProduct({ productId }: { productId: string }): JSX.Element {
  const loaded = useAsync((signal) => api().products.retrieve(productId, { signal }), [productId]);
  const builds = useAsync((signal) => api().builds.list(productId, { perPage: 50, sort: 'version' }, { signal }), [productId]);
  // The product as loaded, then as each save or publish answered (without reloading the page).
  const [product, setProduct] = useState<Product>();
  useEffect(() => {
    if (loaded.data) setProduct(loaded.data);
  }, [loaded.data]);
  const changed = (next: Product) =>
    setProduct((previous) => ({ ...next, screenshots: next.screenshots ?? previous?.screenshots, product_licenses: next.product_licenses ?? previous?.product_licenses }));
  const [detailsStatus, setDetailsStatus] = useSaveStatus();
  const [actionStatus, setActionStatus] = useSaveStatus();
  const [actionError, setActionError] = useState<unknown>();

  if (loaded.error !== undefined && !product) {
    return (
      <>
        <Breadcrumbs />
        <PageTitle title="Product" />
        <ErrorNote error={loaded.error} />
      </>
    );
  }
  if (!product) return <Loading label="Loading the product…" />;
  const latest = builds.data?.items[builds.data.items.length - 1];
  return (
    <>
      <Breadcrumbs />
      <PageTitle title={product.name}>
        <PublishedBadge product={product} />
        <ProductActions product={product} onChange={changed} onStatus={setActionStatus} onError={setActionError} />
      </PageTitle>
      <SaveStatus text={actionStatus} />
      {actionError !== undefined && <ErrorNote error={actionError} />}
      <div class="pub-columns">
        <div class="pub-main">
          <section class="card" aria-labelledby="details-heading">
            <h2 id="details-heading">Details</h2>
            <ProductForm
              key={product.id}
              initial={valuesOf(product)}
              submitLabel="Save"
              status={detailsStatus}
              onSubmit={async (values) => {
                changed(await api().products.update(productId, toParams(values)));
                setDetailsStatus('Saved');
              }}
            />
          </section>
          <BuildsList productId={productId} builds={builds} />
          <ScreenshotsEditor productId={productId} screenshots={product.screenshots ?? []} onChange={loaded.reload} />
        </div>
        <div class="pub-side">
          <LogoEditor productId={productId} productName={product.name} hasLogo={Boolean(product.logo_file_name)} />
          <LicencesEditor productId={productId} attached={product.product_licenses ?? []} onChange={loaded.reload} />
          <PublishHint product={product} build={latest} />
        </div>
      </div>
    </>
  );
}
