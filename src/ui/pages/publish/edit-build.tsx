/**
 * `publish/products/:id/builds/:buildId`: one build of a product, read and edited: its fields
 * and release notes, configurations with their tasks, what it exposes and what it needs.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Build } from '../../../sdk/types/builds.js';
import { api } from '../../api.js';
import { Dialog, ErrorNote, Loading, PageTitle, Time, useAsync } from '../../components/index.js';
import { Link, navigate } from '../../router.js';
import { BuildForm } from './build-form.js';
import { ConfigurationsEditor } from './configurations-editor.js';
import { DependenciesEditor, ExposuresEditor } from './interfaces-editor.js';
import { Breadcrumbs, buildStatus } from './shared.js';
import { SignedInOnly } from '../../components/index.js';

export default function EditBuildPage({ params }: { params: Record<string, string> }): JSX.Element {
  return (
    <SignedInOnly>
      <EditBuild productId={params.id ?? ''} buildId={params.buildId ?? ''} />
    </SignedInOnly>
  );
}

function EditBuild({ productId, buildId }: { productId: string; buildId: string }): JSX.Element {
  const product = useAsync((signal) => api().products.retrieve(productId, { signal }), [productId]);
  const loaded = useAsync((signal) => api().builds.retrieve(productId, buildId, { signal }), [productId, buildId]);
  const [build, setBuild] = useState<Build>();
  const [deleting, setDeleting] = useState(false);
  useEffect(() => {
    if (loaded.data) setBuild(loaded.data);
  }, [loaded.data]);

  const crumbs = (
    <Breadcrumbs>{product.data ? <Link to={`publish/products/${productId}`}>{product.data.name}</Link> : <Link to={`publish/products/${productId}`}>Product</Link>}</Breadcrumbs>
  );
  if (loaded.error !== undefined && !build) {
    return (
      <>
        {crumbs}
        <PageTitle title="Build" />
        <ErrorNote error={loaded.error} />
      </>
    );
  }
  if (!build) return <Loading label="Loading the build…" />;
  const status = buildStatus(build);
  return (
    <>
      {crumbs}
      <PageTitle title={`Build ${build.version}`}>
        <span class={status.badge}>{status.label}</span>
        <button type="button" class="btn btn-danger" onClick={() => setDeleting(true)}>
          Delete build
        </button>
      </PageTitle>
      <p class="muted">
        {product.data ? `${product.data.name}, ` : ''}created <Time value={build.created_at} />
        {build.published_at && (
          <>
            , published <Time value={build.published_at} />
          </>
        )}
        .
      </p>
      <section class="card" aria-labelledby="build-heading">
        <h2 id="build-heading">Version and image</h2>
        <BuildForm
          key={build.id}
          build={build}
          onSave={async (params) => {
            setBuild(await api().builds.update(productId, buildId, params));
          }}
        />
      </section>
      <ConfigurationsEditor productId={productId} buildId={buildId} />
      <div class="pub-two">
        <ExposuresEditor productId={productId} buildId={buildId} />
        <DependenciesEditor productId={productId} buildId={buildId} />
      </div>
      <DeleteBuildDialog productId={productId} build={build} open={deleting} onClose={() => setDeleting(false)} />
    </>
  );
}

function DeleteBuildDialog({ productId, build, open, onClose }: { productId: string; build: Build; open: boolean; onClose: () => void }): JSX.Element {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api().builds.delete(productId, build.id);
      onClose();
      navigate(`publish/products/${productId}`, { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title={`Delete build ${build.version}?`} onClose={onClose}>
      <p>The build, its configurations, tasks, exposures and dependencies are deleted for good.</p>
      {error !== undefined && <ErrorNote error={error} />}
      <div class="form-actions">
        <button type="button" class="btn btn-danger" disabled={busy} onClick={() => void remove()}>
          {busy ? 'Deleting…' : 'Delete'}
        </button>
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
