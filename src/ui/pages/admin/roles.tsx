/**
 * Roles: permission sets appointed to users and groups. A role's permissions are a grid of
 * nouns (what) × verbs (may do), from the server's template plus any further nouns the role
 * already names. The server refuses to let anyone grant what they do not hold themself; its
 * sentence is shown as it is.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Permissions, Role } from '../../../sdk/types/roles.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, useAsync } from '../../components/index.js';
import { Link, navigate, route } from '../../router.js';
import { can } from '../../session.js';
import { SectionFrame } from './frame.js';
import { allRoles, gridOf, words } from './roles-data.js';
import { ActionFeedback, ConfirmButton, shown, useAction, valueOf } from './shared.js';

export function RolesSection(): JSX.Element {
  const open = route.value.query.get('role');
  const roles = useAsync((signal) => allRoles(signal), []);
  if (open === 'new' && can('roles', 'create')) return <RoleEditor key="new" onSaved={roles.reload} />;
  if (open && open !== 'new') {
    const role = roles.data?.find((candidate) => candidate.id === open);
    if (role) return <RoleEditor key={role.id} role={role} onSaved={roles.reload} />;
    // A role just created may not be in the list until the reload after it finishes.
    const settled = roles.data !== undefined && !roles.loading;
    return (
      <SectionFrame title="Role" parent={ROLES}>
        {roles.error !== undefined ? (
          <ErrorNote error={roles.error} />
        ) : settled ? (
          <ErrorNote error={new Error('There is no such role: it may have been deleted.')} />
        ) : (
          <Loading label="Loading the role…" />
        )}
      </SectionFrame>
    );
  }
  return (
    <SectionFrame
      title="Roles"
      actions={
        can('roles', 'create') && (
          <Link to="admin/roles?role=new" class="btn btn-primary">
            New role
          </Link>
        )
      }
    >
      <section aria-labelledby="roles-heading">
        <h2 id="roles-heading" class="visually-hidden">
          All roles
        </h2>
        {roles.error !== undefined && <ErrorNote error={roles.error} />}
        {!roles.data && roles.loading && <Loading label="Loading roles…" />}
        {roles.data && roles.data.length === 0 && <Empty title="No roles.">Create one to give people permissions.</Empty>}
        {roles.data && roles.data.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table" aria-labelledby="roles-heading">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Grants</th>
                </tr>
              </thead>
              <tbody>
                {roles.data.map((role) => (
                  <tr key={role.id}>
                    <th scope="row">
                      <Link to={`admin/roles?role=${role.id}`}>{role.name}</Link>
                      {role.default && (
                        <>
                          {' '}
                          <span class="badge">Default</span>
                        </>
                      )}
                    </th>
                    <td>{shown(role.description)}</td>
                    <td>{summary(role.permissions ?? {})}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </SectionFrame>
  );
}

const ROLES = { to: 'admin/roles', label: 'Roles' };

/** "everything", or the granted flags as "products: read, create; users: read". */
function summary(permissions: Permissions): string {
  if (permissions.everything?.manage) return 'Everything';
  const parts = Object.entries(permissions)
    .map(([noun, verbs]) => [noun, Object.entries(verbs ?? {}).filter(([, on]) => on).map(([verb]) => words(verb))] as const)
    .filter(([, verbs]) => verbs.length)
    .map(([noun, verbs]) => `${words(noun)}: ${verbs.join(', ')}`);
  return parts.length ? parts.join('; ') : 'Nothing';
}

/** Creates a role, or edits `role`: name, description, default, and the permission grid. */
function RoleEditor({ role, onSaved }: { role?: Role; onSaved: () => void }): JSX.Element {
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [isDefault, setDefault] = useState(role?.default ?? false);
  const [permissions, setPermissions] = useState<Permissions>(() => structuredClone(role?.permissions ?? {}));
  const action = useAction();
  const writable = role ? can('roles', 'update') : can('roles', 'create');
  const grid = gridOf(permissions);
  const toggle = (noun: string, verb: string, on: boolean) => setPermissions({ ...permissions, [noun]: { ...permissions[noun], [verb]: on } });
  const submit = async (event: Event) => {
    event.preventDefault();
    // Every cell of the grid, so the role holds exactly what the grid shows.
    const sent: Permissions = {};
    for (const noun of grid.nouns) sent[noun] = Object.fromEntries(grid.verbs.filter((verb) => grid.has(noun, verb)).map((verb) => [verb, permissions[noun]?.[verb] === true]));
    const params = { name: name.trim(), description: description.trim() || null, default: isDefault, permissions: sent };
    let saved: Role | undefined;
    const ok = await action.run(async () => {
      saved = role ? await api().roles.update(role.id, params) : await api().roles.create(params);
    }, role ? `Role ${params.name} saved.` : `Role ${params.name} created.`);
    if (ok) {
      onSaved();
      if (!role && saved) navigate(`admin/roles?role=${saved.id}`, { replace: true });
    }
  };
  const remove = () =>
    void action.run(() => api().roles.delete(role!.id), `Role ${role!.name} deleted.`).then((ok) => {
      if (!ok) return;
      onSaved();
      navigate('admin/roles', { replace: true });
    });
  return (
    <SectionFrame title={role ? `Role ${role.name}` : 'New role'} parent={ROLES}>
      <form class="admin-form" onSubmit={(event) => void submit(event)}>
        <fieldset class="card" disabled={!writable}>
          <legend>About the role</legend>
          <div class="admin-fields">
            <Field label="Name" hint="e.g. Curator">
              <input type="text" required value={name} onInput={(event) => setName(valueOf(event))} />
            </Field>
            <Field label="Description">
              <input type="text" value={description} onInput={(event) => setDescription(valueOf(event))} />
            </Field>
          </div>
          <label class="check">
            <input type="checkbox" checked={isDefault} onChange={(event) => setDefault((event.currentTarget as HTMLInputElement).checked)} /> Every new user gets this role
          </label>
        </fieldset>
        <fieldset class="card" disabled={!writable}>
          <legend>Permissions</legend>
          <p class="muted">“Everything: manage” grants all of them, and whatever this marketplace adds later.</p>
          <div class="table-wrap">
            <table class="admin-table permission-grid">
              <thead>
                <tr>
                  <th scope="col">What</th>
                  {grid.verbs.map((verb) => (
                    <th key={verb} scope="col">
                      {words(verb)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {grid.nouns.map((noun) => (
                  <tr key={noun}>
                    <th scope="row">{words(noun)}</th>
                    {grid.verbs.map((verb) => (
                      <td key={verb}>
                        {grid.has(noun, verb) ? (
                          <input
                            type="checkbox"
                            aria-label={`${words(noun)}: ${words(verb)}`}
                            checked={permissions[noun]?.[verb] === true}
                            onChange={(event) => toggle(noun, verb, (event.currentTarget as HTMLInputElement).checked)}
                          />
                        ) : (
                          <span class="muted" aria-hidden="true">
                            ·
                          </span>
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </fieldset>
        <div class="form-actions">
          {writable && (
            <button type="submit" class="btn btn-primary" disabled={action.busy}>
              {role ? 'Save' : 'Create role'}
            </button>
          )}
          {role && can('roles', 'delete') && <ConfirmButton label="Delete role" question={`Delete the role ${role.name}? Its holders lose what it grants.`} busy={action.busy} onConfirm={remove} />}
        </div>
        <ActionFeedback action={action} />
      </form>
    </SectionFrame>
  );
}
