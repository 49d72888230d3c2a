/**
 * Users: find people by name, open one, and appoint or remove their roles. What a role lets its
 * holders do is on the Roles page; a change here applies to the user's next request.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Appointment } from '../../../sdk/types/appointments.js';
import type { Role } from '../../../sdk/types/roles.js';
import type { User } from '../../../sdk/types/users.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, Pager, Time, useAsync, pageNumber } from '../../components/index.js';
import { Link, route, setQuery } from '../../router.js';
import { can, session } from '../../session.js';
import { SectionFrame } from './frame.js';
import { allRoles } from './roles-data.js';
import { ActionFeedback, ConfirmButton, shown, useAction, valueOf } from './shared.js';

export function UsersSection(): JSX.Element {
  const userId = route.value.query.get('user');
  return userId ? <UserDetail key={userId} userId={userId} /> : <UserList />;
}

function UserList(): JSX.Element {
  const query = route.value.query;
  const search = query.get('q') ?? '';
  const page = pageNumber(query.get('page'));
  const [text, setText] = useState(search);
  const list = useAsync((signal) => api().users.list({ name: search || undefined, page, perPage: 50, sort: 'name' }, { signal }), [search, page]);
  return (
    <SectionFrame title="Users">
      <form
        role="search"
        class="row admin-search"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery({ q: text.trim() || undefined, page: undefined }, { replace: false });
        }}
      >
        <label class="visually-hidden" for="user-search">
          Search users
        </label>
        <input id="user-search" type="search" placeholder="Name contains…" value={text} onInput={(event) => setText(valueOf(event))} />
        <button type="submit" class="btn">
          Search
        </button>
      </form>
      <section aria-labelledby="users-heading">
        <h2 id="users-heading">{search ? `Users whose name contains “${search}”` : 'All users'}</h2>
        {list.error !== undefined && <ErrorNote error={list.error} />}
        {!list.data && list.loading && <Loading label="Loading users…" />}
        {list.data && list.data.items.length === 0 && (
          <Empty title={search ? 'No user has a name like that.' : 'No users yet.'}>{search ? 'Try part of the name.' : 'People appear here once they sign in.'}</Empty>
        )}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table" aria-labelledby="users-heading">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">External id</th>
                  <th scope="col">Joined</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((user) => (
                  <tr key={user.id}>
                    <th scope="row">
                      <Link to={`admin/users?user=${user.id}`}>{displayName(user)}</Link>
                    </th>
                    <td class="break">{shown(user.external_id)}</td>
                    <td>
                      <Time value={user.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && <Pager page={page} hasNext={list.data.hasNextPage()} />}
      </section>
    </SectionFrame>
  );
}

const USERS = { to: 'admin/users', label: 'Users' };

interface HeldRole {
  role: Role;
  appointment: Appointment;
}

async function loadUser(userId: string, signal: AbortSignal): Promise<{ user: User; roles: Role[]; held: HeldRole[] }> {
  const [user, roles] = await Promise.all([api().users.retrieve(userId, { signal }), allRoles(signal)]);
  // Appointments are listed per role: one short request per role, all at once.
  const perRole = await Promise.all(roles.map((role) => api().appointments.list(role.id, { signal }).then((page) => page.items)));
  const held = roles.flatMap((role, i) =>
    (perRole[i] ?? []).filter((a) => a.entity_type === 'User' && a.entity_id === user.id).map((appointment) => ({ role, appointment })),
  );
  return { user, roles, held };
}

function UserDetail({ userId }: { userId: string }): JSX.Element {
  const data = useAsync((signal) => loadUser(userId, signal), [userId]);
  const action = useAction();
  const [roleId, setRoleId] = useState('');
  if (!data.data) {
    return (
      <SectionFrame title="User" parent={USERS}>
        {data.error !== undefined ? <ErrorNote error={data.error} /> : <Loading label="Loading the user…" />}
      </SectionFrame>
    );
  }
  const { user, roles, held } = data.data;
  const heldIds = new Set(held.map((h) => h.role.id));
  const available = roles.filter((role) => !heldIds.has(role.id));
  const chosen = available.find((role) => role.id === roleId) ?? available[0];
  const self = session.value.user?.id === user.id;
  const add = async (event: Event) => {
    event.preventDefault();
    if (!chosen) return;
    const ok = await action.run(() => api().appointments.create(chosen.id, { entity_id: user.id, entity_type: 'User' }), `${user.name} now holds the role ${chosen.name}.`);
    if (ok) data.reload();
  };
  return (
    <SectionFrame title={displayName(user)} parent={USERS}>
      <dl class="facts card">
        <dt>Name</dt>
        <dd>{shown(user.name)}</dd>
        <dt>External id</dt>
        <dd class="break">{shown(user.external_id)}</dd>
        <dt>Joined</dt>
        <dd>
          <Time value={user.created_at} />
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
      </dl>
      <section class="card" aria-labelledby="user-roles-heading">
        <h2 id="user-roles-heading">Roles</h2>
        {held.length === 0 ? (
          <Empty title="No roles.">Without a role this user can only read published products.</Empty>
        ) : (
          <ul class="plain-list">
            {held.map(({ role, appointment }) => (
              <li key={appointment.id} class="row spread">
                <span>
                  <strong>{role.name}</strong> <span class="muted">{shown(role.description)}</span>
                </span>
                {can('roles', 'delete') && (
                  <ConfirmButton
                    label="Remove"
                    question={self ? `Remove your own role ${role.name}?` : `Remove ${role.name} from ${user.name}?`}
                    busy={action.busy}
                    onConfirm={() =>
                      void action
                        .run(() => api().appointments.delete(role.id, appointment.id), `${user.name} no longer holds the role ${role.name}.`)
                        .then((ok) => ok && data.reload())
                    }
                  />
                )}
              </li>
            ))}
          </ul>
        )}
        {can('roles', 'create') && available.length > 0 && (
          <form class="row add-row" onSubmit={(event) => void add(event)}>
            <Field label="Role">
              <select value={chosen?.id} onChange={(event) => setRoleId(valueOf(event))}>
                {available.map((role) => (
                  <option key={role.id} value={role.id}>
                    {role.name}
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" class="btn btn-primary" disabled={action.busy}>
              Add role
            </button>
          </form>
        )}
        <ActionFeedback action={action} />
      </section>
    </SectionFrame>
  );
}

function displayName(user: User): string {
  return user.name?.trim() || [user.first_name, user.last_name].filter(Boolean).join(' ') || 'Unnamed user';
}
