/**
 * Identity providers: the OpenID Connect providers people sign in with. Disabling one takes it
 * off the sign-in page at once (its users cannot sign in until it is enabled again). The client
 * secret is typed once, sent, and never shown again: the page does not render it even though
 * the API returns it to administrators.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { IdentityProvider } from '../../../sdk/types/identity-providers.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, Time, useAsync } from '../../components/index.js';
import { can } from '../../session.js';
import { SectionFrame } from './frame.js';
import { ActionFeedback, ConfirmButton, shown, useAction, valueOf } from './shared.js';

export function IdentityProvidersSection(): JSX.Element {
  const list = useAsync(async (signal) => {
    const providers: IdentityProvider[] = [];
    for await (const provider of api().identityProviders.list({ perPage: 100, sort: 'name' }, { signal })) providers.push(provider);
    return providers;
  }, []);
  const action = useAction();
  const toggle = (provider: IdentityProvider, enable: boolean) =>
    void action
      .run(
        () => (enable ? api().identityProviders.enable(provider.id) : api().identityProviders.disable(provider.id)),
        enable ? `${provider.name} enabled: people can sign in with it.` : `${provider.name} disabled: nobody can sign in with it until it is enabled again.`,
      )
      .then((ok) => ok && list.reload());
  const editor = can('identity_providers', 'update');
  return (
    <SectionFrame title="Identity providers">
      {can('identity_providers', 'create') && <NewProvider onCreated={list.reload} />}
      <section aria-labelledby="providers-heading">
        <h2 id="providers-heading">All identity providers</h2>
        {list.error !== undefined && <ErrorNote error={list.error} />}
        {!list.data && list.loading && <Loading label="Loading identity providers…" />}
        {list.data && list.data.length === 0 && (
          <Empty title="No identity providers yet.">Until one is added, people sign in with a token only.</Empty>
        )}
        {list.data && list.data.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table" aria-labelledby="providers-heading">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Issuer</th>
                  <th scope="col">Client id</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((provider) => {
                  const enabled = Boolean(provider.enabled_at);
                  return (
                    <tr key={provider.id}>
                      <th scope="row">{provider.name}</th>
                      <td class="break">{shown(provider.issuer)}</td>
                      <td class="break">{shown(provider.client_id)}</td>
                      <td>
                        {enabled ? (
                          <span class="badge badge-success">
                            Enabled <Time value={provider.enabled_at} />
                          </span>
                        ) : (
                          <span class="badge badge-warning">Disabled</span>
                        )}
                      </td>
                      <td>
                        <span class="row nowrap">
                          {editor &&
                            (enabled ? (
                              <button type="button" class="btn" aria-label={`Disable ${provider.name}`} disabled={action.busy} onClick={() => toggle(provider, false)}>
                                Disable
                              </button>
                            ) : (
                              <button type="button" class="btn" aria-label={`Enable ${provider.name}`} disabled={action.busy} onClick={() => toggle(provider, true)}>
                                Enable
                              </button>
                            ))}
                          {can('identity_providers', 'delete') && (
                            <ConfirmButton
                              label="Delete"
                              question={`Delete ${provider.name}? People who sign in with it keep their accounts.`}
                              busy={action.busy}
                              onConfirm={() => void action.run(() => api().identityProviders.delete(provider.id), `${provider.name} deleted.`).then((ok) => ok && list.reload())}
                            />
                          )}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <ActionFeedback action={action} />
      </section>
    </SectionFrame>
  );
}

function NewProvider({ onCreated }: { onCreated: () => void }): JSX.Element {
  const empty = { name: '', issuer: '', clientId: '', clientSecret: '', scopes: 'openid profile email' };
  const [form, setForm] = useState(empty);
  const action = useAction();
  const set = (key: keyof typeof empty) => (event: Event) => setForm({ ...form, [key]: valueOf(event) });
  const submit = async (event: Event) => {
    event.preventDefault();
    const name = form.name.trim();
    const ok = await action.run(
      () =>
        api().identityProviders.create({
          name,
          issuer: form.issuer.trim(),
          client_id: form.clientId.trim(),
          client_secret: form.clientSecret,
          scopes: form.scopes.trim(),
        }),
      `${name} added and enabled.`,
    );
    // Once saved, the secret leaves the page with the rest of the form.
    if (ok) {
      setForm(empty);
      onCreated();
    }
  };
  return (
    <form class="card admin-form" onSubmit={(event) => void submit(event)} aria-labelledby="new-provider-heading">
      <h2 id="new-provider-heading">New identity provider</h2>
      <div class="admin-fields">
        <Field label="Name" hint="Shown on the sign-in button, e.g. Hospital login.">
          <input type="text" required value={form.name} onInput={set('name')} />
        </Field>
        <Field label="Issuer URL" hint="The provider's OpenID Connect issuer, e.g. https://login.example.org/realms/staff">
          <input type="url" required value={form.issuer} onInput={set('issuer')} />
        </Field>
        <Field label="Client id">
          <input type="text" required autocomplete="off" value={form.clientId} onInput={set('clientId')} />
        </Field>
        <Field label="Client secret" hint="Kept by the marketplace; never shown again after saving.">
          <input type="password" required autocomplete="new-password" value={form.clientSecret} onInput={set('clientSecret')} />
        </Field>
        <Field label="Scopes" hint="Space-separated; openid is needed.">
          <input type="text" value={form.scopes} onInput={set('scopes')} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy}>
          Add identity provider
        </button>
      </div>
      <ActionFeedback action={action} />
    </form>
  );
}
