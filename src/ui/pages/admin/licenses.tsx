/**
 * Licences: the terms products are offered under. How long an entitlement lasts (forever, some
 * days from activation, or until a date) and how many uses it allows decide what the
 * marketplace answers when a platform asks whether it may run a product.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { License, LicenseCreateParams, LicenseExpiry } from '../../../sdk/types/licenses.js';
import { api } from '../../api.js';
import { Dialog, Empty, ErrorNote, Field, Loading, Pager, useAsync, pageNumber } from '../../components/index.js';
import { route, setQuery } from '../../router.js';
import { can } from '../../session.js';
import { licenceTerms, safeLink } from '../../licence-terms.js';
import { SectionFrame } from './frame.js';
import { ActionFeedback, ConfirmButton, useAction, valueOf } from './shared.js';

export function LicensesSection(): JSX.Element {
  const query = route.value.query;
  const page = pageNumber(query.get('page'));
  const editing = query.get('license') ?? undefined;
  const list = useAsync((signal) => api().licenses.list({ page, perPage: 50, sort: 'name' }, { signal }), [page]);
  const action = useAction();
  const edited = list.data?.items.find((license) => license.id === editing);
  const close = () => setQuery({ license: undefined }, { replace: false });
  return (
    <SectionFrame title="Licences">
      {can('licenses', 'create') && (
        <section class="card" aria-labelledby="new-license-heading">
          <h2 id="new-license-heading">New licence</h2>
          <LicenseForm onSaved={list.reload} />
        </section>
      )}
      <section aria-labelledby="licenses-heading">
        <h2 id="licenses-heading">All licences</h2>
        {list.error !== undefined && <ErrorNote error={list.error} />}
        {!list.data && list.loading && <Loading label="Loading licences…" />}
        {list.data && list.data.items.length === 0 && <Empty title="No licences yet.">Products are offered under licences: add the first above.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table" aria-labelledby="licenses-heading">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Terms</th>
                  <th scope="col">Text</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((license) => (
                  <tr key={license.id}>
                    <th scope="row">{license.name}</th>
                    <td>{licenceTerms(license)}</td>
                    <td class="break">
                      {safeLink(license.url) ? (
                        <a href={safeLink(license.url)} rel="noopener noreferrer" target="_blank">
                          {license.url}
                        </a>
                      ) : (
                        license.url || '—'
                      )}
                    </td>
                    <td>
                      <span class="row nowrap">
                        {can('licenses', 'update') && (
                          <button type="button" class="btn" aria-label={`Edit ${license.name}`} onClick={() => setQuery({ license: license.id }, { replace: false })}>
                            Edit
                          </button>
                        )}
                        {can('licenses', 'delete') && (
                          <ConfirmButton
                            label="Delete"
                            question={`Delete licence ${license.name}?`}
                            busy={action.busy}
                            onConfirm={() => void action.run(() => api().licenses.delete(license.id), `Licence ${license.name} deleted.`).then((ok) => ok && list.reload())}
                          />
                        )}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <ActionFeedback action={action} />
        {list.data && <Pager page={page} hasNext={list.data.hasNextPage()} />}
      </section>
      <Dialog open={Boolean(edited)} title={edited ? `Edit ${edited.name}` : 'Edit licence'} onClose={close}>
        {edited && (
          <LicenseForm
            key={edited.id}
            license={edited}
            onSaved={() => {
              list.reload();
              close();
            }}
          />
        )}
      </Dialog>
    </SectionFrame>
  );
}

interface LicenseFormState {
  name: string;
  url: string;
  description: string;
  expiry: LicenseExpiry;
  daysValid: string;
  /** yyyy-mm-dd */
  expiresOn: string;
  uses: string;
}

function stateOf(license: License | undefined): LicenseFormState {
  return {
    name: license?.name ?? '',
    url: license?.url ?? '',
    description: license?.description ?? '',
    expiry: license?.expiry ?? 'indefinite',
    daysValid: license?.days_valid ? String(license.days_valid) : '',
    expiresOn: license?.expires_at ? license.expires_at.slice(0, 10) : '',
    uses: license?.uses ? String(license.uses) : '',
  };
}

/** Creates a licence, or edits `license`. */
function LicenseForm({ license, onSaved }: { license?: License; onSaved: () => void }): JSX.Element {
  const [form, setForm] = useState(() => stateOf(license));
  const [errors, setErrors] = useState<Partial<Record<keyof LicenseFormState, string>>>({});
  const action = useAction();
  const set = (key: keyof LicenseFormState) => (event: Event) => setForm({ ...form, [key]: valueOf(event) });
  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = paramsOf(form);
    setErrors(checked.errors);
    if (!checked.params) return;
    const params = checked.params;
    const name = params.name;
    const ok = await action.run(
      () => (license ? api().licenses.update(license.id, params) : api().licenses.create(params)),
      license ? `Licence ${name} saved.` : `Licence ${name} added.`,
    );
    if (ok) {
      if (!license) setForm(stateOf(undefined));
      onSaved();
    }
  };
  return (
    <form class="admin-form" onSubmit={(event) => void submit(event)}>
      <div class="admin-fields">
        <Field label="Name" hint="e.g. Annual site licence">
          <input type="text" required value={form.name} onInput={set('name')} />
        </Field>
        <Field label="Licence text URL" hint="Where the licence's full text is; each licence has its own.">
          <input type="url" required value={form.url} onInput={set('url')} />
        </Field>
        <Field label="Duration">
          <select value={form.expiry} onChange={set('expiry')}>
            <option value="indefinite">No end</option>
            <option value="relative_date">A number of days from activation</option>
            <option value="absolute_date">Until a date</option>
          </select>
        </Field>
        {form.expiry === 'relative_date' && (
          <Field label="Days valid" error={errors.daysValid}>
            <input type="number" min={1} step={1} required value={form.daysValid} onInput={set('daysValid')} />
          </Field>
        )}
        {form.expiry === 'absolute_date' && (
          <Field label="Ends on" error={errors.expiresOn}>
            <input type="date" required value={form.expiresOn} onInput={set('expiresOn')} />
          </Field>
        )}
        <Field label="Uses" hint="How many times an entitlement may be used; empty or 0 for unlimited." error={errors.uses}>
          <input type="number" min={0} step={1} value={form.uses} onInput={set('uses')} />
        </Field>
      </div>
      <Field label="Description">
        <textarea rows={3} value={form.description} onInput={set('description')} />
      </Field>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy}>
          {license ? 'Save' : 'Add licence'}
        </button>
      </div>
      <ActionFeedback action={action} />
    </form>
  );
}

/** The API's parameters, or a sentence for each field that cannot be sent as it is. */
function paramsOf(form: LicenseFormState): { params?: LicenseCreateParams; errors: Partial<Record<keyof LicenseFormState, string>> } {
  const errors: Partial<Record<keyof LicenseFormState, string>> = {};
  const whole = (text: string) => (/^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : undefined);
  const uses = form.uses.trim() ? whole(form.uses) : 0;
  if (uses === undefined) errors.uses = 'Uses must be a whole number, 0 or more.';
  const days = whole(form.daysValid);
  if (form.expiry === 'relative_date' && !days) errors.daysValid = 'Days valid must be a whole number, 1 or more.';
  if (form.expiry === 'absolute_date' && !/^\d{4}-\d{2}-\d{2}$/.test(form.expiresOn)) errors.expiresOn = 'Ends on must be a date.';
  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    params: {
      name: form.name.trim(),
      url: form.url.trim(),
      description: form.description.trim() || null,
      expiry: form.expiry,
      days_valid: form.expiry === 'relative_date' ? days : 0,
      // The end of that day, UTC: the licence is a contract, the same day everywhere.
      expires_at: form.expiry === 'absolute_date' ? `${form.expiresOn}T23:59:59Z` : null,
      uses: uses ?? 0,
    },
  };
}
