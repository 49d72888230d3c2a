/** A product's builds (version, state, when made) and a form for a new one, which opens its page. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Build } from '../../../sdk/types/builds.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, Time, type AsyncState } from '../../components/index.js';
import { Link, navigate } from '../../router.js';
import { buildStatus, fieldErrors } from './shared.js';

export interface BuildsListProps {
  productId: string;
  builds: AsyncState<{ items: Build[] }>;
}

export function BuildsList({ productId, builds }: BuildsListProps): JSX.Element {
  const items = builds.data?.items ?? [];
  return (
    <section class="card" aria-labelledby="builds-heading">
      <h2 id="builds-heading">Builds</h2>
      {builds.loading && !builds.data && <Loading label="Loading builds…" />}
      {builds.error !== undefined && <ErrorNote error={builds.error} />}
      {builds.data && items.length === 0 && <Empty title="No builds yet.">A build is a version people can deploy: add the first one below.</Empty>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="pub-table" aria-label="Builds">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Image</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((build) => {
                const status = buildStatus(build);
                return (
                  <tr key={build.id}>
                    <th scope="row">
                      <Link to={`publish/products/${productId}/builds/${build.id}`}>{build.version}</Link>
                    </th>
                    <td>
                      <span class={status.badge}>{status.label}</span>
                    </td>
                    <td class="pub-mono">{imageOf(build)}</td>
                    <td>
                      <Time value={build.created_at} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <NewBuild productId={productId} />
    </section>
  );
}

export function imageOf(build: Pick<Build, 'container_repository' | 'container_tag'>): string {
  if (!build.container_repository) return '—';
  return build.container_tag ? `${build.container_repository}:${build.container_tag}` : build.container_repository;
}

const LABELS = { version: 'Version', container_repository: 'Container image', container_tag: 'Image tag' };

function NewBuild({ productId }: { productId: string }): JSX.Element {
  const [values, setValues] = useState({ version: '', container_repository: '', container_tag: '' });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(error, LABELS);
  const set = (name: keyof typeof values) => (event: Event) => setValues((previous) => ({ ...previous, [name]: (event.target as HTMLInputElement).value }));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!values.version.trim()) return setError(new Error('Give the build a version, e.g. 1.0.0.'));
    setBusy(true);
    setError(undefined);
    try {
      const build = await api().builds.create(productId, {
        version: values.version.trim(),
        container_repository: values.container_repository.trim() || null,
        container_tag: values.container_tag.trim() || null,
      });
      navigate(`publish/products/${productId}/builds/${build.id}`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  const versionMissing = error instanceof Error && error.message.startsWith('Give the build a version');
  return (
    <form class="pub-build-new" onSubmit={(event) => void submit(event)} noValidate>
      <h3>New build</h3>
      <div class="pub-grid">
        <Field label={LABELS.version} error={versionMissing ? (error as Error).message : byField.version}>
          <input type="text" name="version" value={values.version} onInput={set('version')} autocomplete="off" spellcheck={false} placeholder="1.0.0" />
        </Field>
        <Field label={LABELS.container_repository} hint="Repository, e.g. ghcr.io/acme/app" error={byField.container_repository}>
          <input type="text" name="container_repository" value={values.container_repository} onInput={set('container_repository')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.container_tag} error={byField.container_tag}>
          <input type="text" name="container_tag" value={values.container_tag} onInput={set('container_tag')} autocomplete="off" spellcheck={false} placeholder="1.0.0" />
        </Field>
      </div>
      {rest && !versionMissing && <ErrorNote error={new Error(rest)} />}
      <div class="form-actions">
        <button type="submit" class="btn" disabled={busy}>
          {busy ? 'Creating…' : 'Create build'}
        </button>
      </div>
    </form>
  );
}
