/** Interfaces: the standards builds expose and depend on (FHIR R4, SMART App Launch, …). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, Pager, useAsync, pageNumber } from '../../components/index.js';
import { route } from '../../router.js';
import { can } from '../../session.js';
import { SectionFrame } from './frame.js';
import { ActionFeedback, ConfirmButton, shown, useAction, valueOf } from './shared.js';

export function InterfacesSection(): JSX.Element {
  const page = pageNumber(route.value.query.get('page'));
  const list = useAsync((signal) => api().interfaces.list({ page, perPage: 50, sort: 'name' }, { signal }), [page]);
  const action = useAction();
  return (
    <SectionFrame title="Interfaces">
      {can('interfaces', 'create') && <NewInterface onCreated={list.reload} />}
      <section aria-labelledby="interfaces-heading">
        <h2 id="interfaces-heading">All interfaces</h2>
        {list.error !== undefined && <ErrorNote error={list.error} />}
        {!list.data && list.loading && <Loading label="Loading interfaces…" />}
        {list.data && list.data.items.length === 0 && <Empty title="No interfaces yet.">Add the standards your products' builds speak, such as FHIR R4.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table" aria-labelledby="interfaces-heading">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URI</th>
                  <th scope="col">Version</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((face) => (
                  <tr key={face.id}>
                    <th scope="row">{face.name}</th>
                    <td class="break">{shown(face.uri)}</td>
                    <td>{shown(face.version)}</td>
                    <td>
                      {can('interfaces', 'delete') && (
                        <ConfirmButton
                          label="Delete"
                          question={`Delete interface ${face.name}?`}
                          busy={action.busy}
                          onConfirm={() => void action.run(() => api().interfaces.delete(face.id), `Interface ${face.name} deleted.`).then((ok) => ok && list.reload())}
                        />
                      )}
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
    </SectionFrame>
  );
}

function NewInterface({ onCreated }: { onCreated: () => void }): JSX.Element {
  const empty = { name: '', uri: '', version: '' };
  const [form, setForm] = useState(empty);
  const action = useAction();
  const set = (key: keyof typeof empty) => (event: Event) => setForm({ ...form, [key]: valueOf(event) });
  const submit = async (event: Event) => {
    event.preventDefault();
    const name = form.name.trim();
    const ok = await action.run(() => api().interfaces.create({ name, uri: form.uri.trim(), version: form.version.trim() }), `Interface ${name} added.`);
    if (ok) {
      setForm(empty);
      onCreated();
    }
  };
  return (
    <form class="card admin-form" onSubmit={(event) => void submit(event)} aria-labelledby="new-interface-heading">
      <h2 id="new-interface-heading">New interface</h2>
      <div class="admin-fields">
        <Field label="Name" hint="e.g. FHIR R4">
          <input type="text" required value={form.name} onInput={set('name')} />
        </Field>
        <Field label="URI" hint="Its identifier, e.g. http://hl7.org/fhir/R4">
          <input type="text" required value={form.uri} onInput={set('uri')} />
        </Field>
        <Field label="Version" hint="e.g. 4.0.1">
          <input type="text" required value={form.version} onInput={set('version')} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy}>
          Add interface
        </button>
      </div>
      <ActionFeedback action={action} />
    </form>
  );
}

