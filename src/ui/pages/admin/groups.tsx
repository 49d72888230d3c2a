/**
 * Groups: sets of users who hold roles (appointed on the Roles and Users pages) and licences
 * (claims) together. Open a group to add or remove its members.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Group } from '../../../sdk/types/groups.js';
import type { Member } from '../../../sdk/types/members.js';
import type { User } from '../../../sdk/types/users.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, Pager, useAsync, pageNumber } from '../../components/index.js';
import { Link, navigate, route } from '../../router.js';
import { can } from '../../session.js';
import { SectionFrame } from './frame.js';
import { ActionFeedback, ConfirmButton, shown, useAction, valueOf } from './shared.js';

export function GroupsSection(): JSX.Element {
  const groupId = route.value.query.get('group');
  return groupId ? <GroupDetail key={groupId} groupId={groupId} /> : <GroupList />;
}

function GroupList(): JSX.Element {
  const page = pageNumber(route.value.query.get('page'));
  const list = useAsync((signal) => api().groups.list({ page, perPage: 50, sort: 'name' }, { signal }), [page]);
  return (
    <SectionFrame title="Groups">
      {can('groups', 'create') && <NewGroup />}
      <section aria-labelledby="groups-heading">
        <h2 id="groups-heading">All groups</h2>
        {list.error !== undefined && <ErrorNote error={list.error} />}
        {!list.data && list.loading && <Loading label="Loading groups…" />}
        {list.data && list.data.items.length === 0 && <Empty title="No groups yet.">A group lets a team hold roles and licences together.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <div class="table-wrap">
            <table class="admin-table" aria-labelledby="groups-heading">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((group) => (
                  <tr key={group.id}>
                    <th scope="row">
                      <Link to={`admin/groups?group=${group.id}`}>{group.name}</Link>
                    </th>
                    <td>{shown(group.description)}</td>
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

function NewGroup(): JSX.Element {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    let created: Group | undefined;
    const ok = await action.run(async () => {
      created = await api().groups.create({ name: name.trim(), description: description.trim() || null });
    }, `Group ${name.trim()} created.`);
    // Straight to the new group: adding its members is what comes next.
    if (ok && created) navigate(`admin/groups?group=${created.id}`);
  };
  return (
    <form class="card admin-form" onSubmit={(event) => void submit(event)} aria-labelledby="new-group-heading">
      <h2 id="new-group-heading">New group</h2>
      <div class="admin-fields">
        <Field label="Name" hint="e.g. Ward 3 nurses">
          <input type="text" required value={name} onInput={(event) => setName(valueOf(event))} />
        </Field>
        <Field label="Description">
          <input type="text" value={description} onInput={(event) => setDescription(valueOf(event))} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy}>
          Create group
        </button>
      </div>
      <ActionFeedback action={action} />
    </form>
  );
}

interface MemberRow {
  member: Member;
  user: User | undefined;
}

async function loadGroup(groupId: string, signal: AbortSignal): Promise<{ group: Group; members: MemberRow[] }> {
  const [group, members] = await Promise.all([api().groups.retrieve(groupId, { signal }), api().members.list(groupId, { signal })]);
  const users = await Promise.all(members.items.map((member) => api().users.retrieve(member.user_id, { signal }).catch(() => undefined)));
  const rows = members.items.map((member, i) => ({ member, user: users[i] }));
  rows.sort((a, b) => (a.user?.name ?? '\uffff').localeCompare(b.user?.name ?? '\uffff'));
  return { group, members: rows };
}

function GroupDetail({ groupId }: { groupId: string }): JSX.Element {
  const data = useAsync((signal) => loadGroup(groupId, signal), [groupId]);
  const action = useAction();
  if (!data.data) {
    return (
      <SectionFrame title="Group" parent={GROUPS}>
        {data.error !== undefined ? <ErrorNote error={data.error} /> : <Loading label="Loading the group…" />}
      </SectionFrame>
    );
  }
  const { group, members } = data.data;
  const memberIds = new Set(members.map((row) => row.member.user_id));
  const addMember = (user: User) =>
    void action.run(() => api().members.create(group.id, { user_id: user.id }), `${user.name} added to ${group.name}.`).then((ok) => ok && data.reload());
  return (
    <SectionFrame
      title={`Group ${group.name}`}
      parent={GROUPS}
      actions={
        can('groups', 'delete') && (
          <ConfirmButton
            label="Delete group"
            question={`Delete the group ${group.name}? Its members lose the roles it holds.`}
            busy={action.busy}
            onConfirm={() => void action.run(() => api().groups.delete(group.id), `Group ${group.name} deleted.`).then((ok) => ok && navigate('admin/groups', { replace: true }))}
          />
        )
      }
    >
      {group.description && <p>{group.description}</p>}
      <section class="card" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        {members.length === 0 ? (
          <Empty title="No members yet.">Find people below to add them.</Empty>
        ) : (
          <ul class="plain-list">
            {members.map(({ member, user }) => {
              const name = user?.name ?? `User ${member.user_id.slice(0, 8)}…`;
              return (
                <li key={member.id} class="row spread">
                  <span>{name}</span>
                  {can('groups', 'delete') && (
                    <ConfirmButton
                      label="Remove"
                      question={`Remove ${name} from ${group.name}?`}
                      busy={action.busy}
                      onConfirm={() => void action.run(() => api().members.delete(group.id, member.id), `${name} removed from ${group.name}.`).then((ok) => ok && data.reload())}
                    />
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <ActionFeedback action={action} />
      </section>
      {can('groups', 'create') && <FindUsers exclude={memberIds} onAdd={addMember} busy={action.busy} />}
    </SectionFrame>
  );
}

const GROUPS = { to: 'admin/groups', label: 'Groups' };

/** Search users by name and add them; those already in the group are not offered. */
function FindUsers({ exclude, onAdd, busy }: { exclude: Set<string>; onAdd: (user: User) => void; busy: boolean }): JSX.Element {
  const [text, setText] = useState('');
  const [search, setSearch] = useState<string>();
  const found = useAsync(
    (signal) => (search === undefined ? Promise.resolve(undefined) : api().users.list({ name: search || undefined, perPage: 20, sort: 'name' }, { signal })),
    [search],
  );
  const candidates = found.data?.items.filter((user) => !exclude.has(user.id)) ?? [];
  return (
    <section class="card" aria-labelledby="add-members-heading">
      <h2 id="add-members-heading">Add members</h2>
      <form
        role="search"
        class="row add-row"
        onSubmit={(event) => {
          event.preventDefault();
          setSearch(text.trim());
        }}
      >
        <Field label="Find users by name">
          <input type="search" value={text} onInput={(event) => setText(valueOf(event))} />
        </Field>
        <button type="submit" class="btn">
          Find
        </button>
      </form>
      {found.error !== undefined && <ErrorNote error={found.error} />}
      {search !== undefined && found.loading && <Loading label="Finding users…" />}
      {search !== undefined && found.data && candidates.length === 0 && <Empty title="Nobody to add with a name like that." />}
      {candidates.length > 0 && (
        <ul class="plain-list">
          {candidates.map((user) => (
            <li key={user.id} class="row spread">
              <span>{user.name}</span>
              <button type="button" class="btn" aria-label={`Add ${user.name}`} disabled={busy} onClick={() => onAdd(user)}>
                Add
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
