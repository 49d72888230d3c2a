/** The licences a product is offered under: the marketplace's licences, attached and detached. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ProductLicense } from '../../../sdk/types/product-licenses.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, useAsync } from '../../components/index.js';
import { SaveStatus, useSaveStatus } from './shared.js';

export interface LicencesEditorProps {
  productId: string;
  attached: ProductLicense[];
  onChange: () => void;
}

export function LicencesEditor({ productId, attached, onChange }: LicencesEditorProps): JSX.Element {
  const licences = useAsync((signal) => api().licenses.list({ perPage: 100, sort: 'name' }, { signal }), []);
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useSaveStatus();
  const all = licences.data?.items ?? [];
  const nameOf = (licenseId: string) => all.find((licence) => licence.id === licenseId)?.name ?? 'A licence no longer listed';
  const attachedIds = new Set(attached.map((row) => row.license_id));
  const available = all.filter((licence) => !attachedIds.has(licence.id));

  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setStatus(done);
      setChoice('');
      onChange();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="licences-heading">
      <h2 id="licences-heading">Licences</h2>
      {licences.loading && !licences.data && <Loading label="Loading licences…" />}
      {licences.error !== undefined && <ErrorNote error={licences.error} />}
      {attached.length === 0 ? (
        <Empty title="Not offered under any licence yet.">Add the licences people may use it under.</Empty>
      ) : (
        <ul class="pub-item-list">
          {attached.map((row) => (
            <li key={row.id} class="row">
              <span>{nameOf(row.license_id)}</span>
              <button
                type="button"
                class="btn btn-quiet btn-danger"
                aria-label={`Remove licence ${nameOf(row.license_id)}`}
                disabled={busy}
                onClick={() => void run(() => api().productLicenses.delete(productId, row.id), `Licence ${nameOf(row.license_id)} removed`)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {licences.data && available.length > 0 && (
        <form
          class="row pub-licence-add"
          onSubmit={(event) => {
            event.preventDefault();
            if (choice) void run(() => api().productLicenses.create(productId, { license_id: choice }), `Licence ${nameOf(choice)} added`);
          }}
        >
          <Field label="Licence">
            <select name="licence" value={choice} onChange={(event) => setChoice((event.target as HTMLSelectElement).value)}>
              <option value="">Choose a licence…</option>
              {available.map((licence) => (
                <option key={licence.id} value={licence.id}>
                  {licence.name}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" class="btn" disabled={!choice || busy}>
            Add licence
          </button>
        </form>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      <SaveStatus text={status} />
    </section>
  );
}
