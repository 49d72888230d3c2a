/**
 * A product's own fields, for creating and for editing. The marketplace keeps one description
 * (the catalogue shows its first line as the summary), so there is one field for it.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Product, ProductCreateParams } from '../../../sdk/types/products.js';
import { ErrorNote, Field } from '../../components/index.js';
import { fieldErrors, SaveStatus } from './shared.js';

export type ProductValues = Required<Pick<ProductCreateParams, 'name' | 'description' | 'mime_type' | 'uri' | 'support_url' | 'locale' | 'external_id'>>;

const LABELS: Record<keyof ProductValues, string> = {
  name: 'Name',
  description: 'Description',
  mime_type: 'MIME type',
  uri: 'Website',
  support_url: 'Support URL',
  locale: 'Locale',
  external_id: 'External ID',
};

/** The kinds of product the marketplace's tools know; any other type may be typed in. */
const MIME_SUGGESTIONS = ['application/smart.v1', 'application/vnd.docker+smart', 'application/vnd.docker+fhir', 'application/vnd.docker', 'text/html', 'application/zip'];

export function valuesOf(product?: Product): ProductValues {
  return {
    name: product?.name ?? '',
    description: product?.description ?? '',
    mime_type: product?.mime_type ?? '',
    uri: product?.uri ?? '',
    support_url: product?.support_url ?? '',
    locale: product?.locale ?? '',
    external_id: product?.external_id ?? '',
  };
}

/** Blank optional fields are sent as null, so clearing a field in the form clears it on the server. */
export function toParams(values: ProductValues): ProductCreateParams {
  const blankAsNull = (value: string | null) => (value && value.trim() ? value.trim() : null);
  return {
    name: values.name.trim(),
    description: blankAsNull(values.description),
    mime_type: blankAsNull(values.mime_type),
    uri: blankAsNull(values.uri),
    support_url: blankAsNull(values.support_url),
    locale: blankAsNull(values.locale),
    external_id: blankAsNull(values.external_id),
  };
}

export interface ProductFormProps {
  initial: ProductValues;
  submitLabel: string;
  /** Resolves when saved; a rejection is shown next to the fields it names. */
  onSubmit: (values: ProductValues) => Promise<void>;
  /** "Saved", announced politely after a save. */
  status?: string;
}

export function ProductForm({ initial, submitLabel, onSubmit, status }: ProductFormProps): JSX.Element {
  const [values, setValues] = useState(initial);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(error, LABELS);
  const set = (name: keyof ProductValues) => (event: Event) => {
    const value = (event.target as HTMLInputElement | HTMLTextAreaElement).value;
    setValues((previous) => ({ ...previous, [name]: value }));
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!values.name.trim()) {
      setError(new Error('Give the product a name.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(values);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const nameMissing = error instanceof Error && error.message === 'Give the product a name.';
  return (
    <form class="pub-product-form" onSubmit={(event) => void submit(event)} noValidate>
      <Field label={LABELS.name} error={nameMissing ? 'Give the product a name.' : byField.name}>
        <input type="text" name="name" value={values.name ?? ''} onInput={set('name')} required maxLength={255} autocomplete="off" />
      </Field>
      <Field label={LABELS.description} hint="The first line is the summary in the catalogue; the rest is the long description." error={byField.description}>
        <textarea name="description" rows={6} value={values.description ?? ''} onInput={set('description')} maxLength={100_000} />
      </Field>
      <div class="pub-grid">
        <Field label={LABELS.mime_type} hint="What kind of product it is, e.g. application/smart.v1 for a SMART app." error={byField.mime_type}>
          <input type="text" name="mime_type" list="publish-mime-types" value={values.mime_type ?? ''} onInput={set('mime_type')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.locale} hint="e.g. en-US" error={byField.locale}>
          <input type="text" name="locale" value={values.locale ?? ''} onInput={set('locale')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.uri} error={byField.uri}>
          <input type="url" name="uri" value={values.uri ?? ''} onInput={set('uri')} maxLength={2048} placeholder="https://" />
        </Field>
        <Field label={LABELS.support_url} error={byField.support_url}>
          <input type="url" name="support_url" value={values.support_url ?? ''} onInput={set('support_url')} maxLength={2048} placeholder="https://" />
        </Field>
        <Field label={LABELS.external_id} hint="Your own reference for the product, if you have one." error={byField.external_id}>
          <input type="text" name="external_id" value={values.external_id ?? ''} onInput={set('external_id')} autocomplete="off" />
        </Field>
      </div>
      <datalist id="publish-mime-types">
        {MIME_SUGGESTIONS.map((type) => (
          <option key={type} value={type} />
        ))}
      </datalist>
      {rest && !nameMissing && <ErrorNote error={new Error(rest)} />}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {status !== undefined && <SaveStatus text={status} />}
      </div>
    </form>
  );
}
