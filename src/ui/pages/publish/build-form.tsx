/** A build's own fields: version, image and release notes. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Build, BuildUpdateParams } from '../../../sdk/types/builds.js';
import { ErrorNote, Field } from '../../components/index.js';
import { fieldErrors, SaveStatus, useSaveStatus } from './shared.js';

const LABELS = {
  version: 'Version',
  container_repository: 'Container image',
  container_tag: 'Image tag',
  container_digest: 'Image digest',
  release_notes: 'Release notes',
};
type Values = Record<keyof typeof LABELS, string>;

export function BuildForm({ build, onSave }: { build: Build; onSave: (params: BuildUpdateParams) => Promise<void> }): JSX.Element {
  const [values, setValues] = useState<Values>({
    version: build.version,
    container_repository: build.container_repository ?? '',
    container_tag: build.container_tag ?? '',
    container_digest: build.container_digest ?? '',
    release_notes: build.release_notes ?? '',
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useSaveStatus();
  const { byField, rest } = fieldErrors(error, LABELS);
  const set = (name: keyof Values) => (event: Event) => setValues((previous) => ({ ...previous, [name]: (event.target as HTMLInputElement).value }));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!values.version.trim()) return setError(new Error('A build needs a version, e.g. 1.0.0.'));
    setBusy(true);
    setError(undefined);
    try {
      const blankAsNull = (value: string) => value.trim() || null;
      await onSave({
        version: values.version.trim(),
        container_repository: blankAsNull(values.container_repository),
        container_tag: blankAsNull(values.container_tag),
        container_digest: blankAsNull(values.container_digest),
        release_notes: blankAsNull(values.release_notes),
      });
      setStatus('Saved');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const versionMissing = error instanceof Error && error.message.startsWith('A build needs a version');
  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <div class="pub-grid">
        <Field label={LABELS.version} error={versionMissing ? (error as Error).message : byField.version}>
          <input type="text" name="version" value={values.version} onInput={set('version')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.container_repository} hint="Repository, e.g. ghcr.io/acme/app" error={byField.container_repository}>
          <input type="text" name="container_repository" value={values.container_repository} onInput={set('container_repository')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.container_tag} error={byField.container_tag}>
          <input type="text" name="container_tag" value={values.container_tag} onInput={set('container_tag')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.container_digest} hint="sha256:… — agents run exactly this image; hsp publish fills it in." error={byField.container_digest}>
          <input type="text" name="container_digest" value={values.container_digest} onInput={set('container_digest')} autocomplete="off" spellcheck={false} />
        </Field>
      </div>
      <Field label={LABELS.release_notes} hint="What changed in this version; shown on the product's page." error={byField.release_notes}>
        <textarea name="release_notes" rows={5} value={values.release_notes} onInput={set('release_notes')} maxLength={100_000} />
      </Field>
      {rest && !versionMissing && <ErrorNote error={new Error(rest)} />}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <SaveStatus text={status} />
      </div>
    </form>
  );
}
