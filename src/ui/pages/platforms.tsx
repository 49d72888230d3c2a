/**
 * My platforms: the hosts and clusters where my instances run, each with what its agent last
 * reported. Create, rename and delete them here; a platform's page shows its instances live.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Platform } from '../../sdk/types/platforms.js';
import { api } from '../api.js';
import { Empty, ErrorNote, Loading, PageTitle, SignedInOnly, useAsync } from '../components/index.js';
import { countsText, summarize } from '../live/platform-summary.js';
import { Link, navigate } from '../router.js';
import { session, signedIn } from '../session.js';
import { AgentHint } from './platform/agent-hint.js';
import { ConfirmDialog } from './platform/confirm-dialog.js';
import { Moment } from './platform/moment.js';
import { NameDialog } from './platform/name-dialog.js';

const MAX_PLATFORMS = 500;

export default function PlatformsPage(): JSX.Element {
  return <SignedInOnly>{signedIn.value && <PlatformList ownerId={session.value.user?.id ?? ''} />}</SignedInOnly>;
}

type Dialog = { kind: 'create' } | { kind: 'rename'; platform: Platform } | { kind: 'delete'; platform: Platform };

function PlatformList({ ownerId }: { ownerId: string }): JSX.Element {
  const platforms = useAsync((signal) => api().platforms.list(ownerId, { perPage: 100, sort: 'name' }, { signal }).toArray({ limit: MAX_PLATFORMS }), [ownerId]);
  const [dialog, setDialog] = useState<Dialog>();
  const [done, setDone] = useState('');
  const close = () => setDialog(undefined);
  const list = platforms.data ?? [];

  return (
    <>
      <PageTitle title="Platforms">
        <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
          New platform
        </button>
      </PageTitle>
      <p class="muted">A platform is a host or cluster where an agent deploys the products you choose. Open one to see its instances change live.</p>
      <p class="visually-hidden" role="status" aria-live="polite">
        {done}
      </p>
      {platforms.loading && !platforms.data && <Loading label="Loading your platforms…" />}
      {platforms.error !== undefined && <ErrorNote error={platforms.error} />}
      {platforms.data && list.length === 0 && (
        <Empty title="You have no platforms yet.">
          <p>Create one for each host or cluster that should run products from this marketplace; its agent then deploys what you choose.</p>
          <AgentHint name="my-host" />
        </Empty>
      )}
      {list.length > 0 && (
        <div class="table-wrap">
          <table class="platform-table">
            <caption class="visually-hidden">Your platforms</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Instances</th>
                <th scope="col">Agent</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((platform) => (
                <PlatformRow
                  key={platform.id}
                  ownerId={ownerId}
                  platform={platform}
                  onRename={() => setDialog({ kind: 'rename', platform })}
                  onDelete={() => setDialog({ kind: 'delete', platform })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NameDialog
        open={dialog?.kind === 'create'}
        title="New platform"
        action="Create"
        onSave={async (name) => {
          const created = await api().platforms.create(ownerId, { name });
          close();
          navigate(`platforms/${created.id}`);
        }}
        onClose={close}
      />
      <NameDialog
        // A new key per platform: the field starts from that platform's name.
        key={dialog?.kind === 'rename' ? dialog.platform.id : 'rename'}
        open={dialog?.kind === 'rename'}
        title="Rename platform"
        action="Rename"
        initial={dialog?.kind === 'rename' ? dialog.platform.name : ''}
        onSave={async (name) => {
          if (dialog?.kind !== 'rename') return;
          await api().platforms.update(ownerId, dialog.platform.id, { name });
          close();
          setDone(`Renamed ${dialog.platform.name} to ${name}.`);
          platforms.reload();
        }}
        onClose={close}
      />
      <ConfirmDialog
        open={dialog?.kind === 'delete'}
        title={dialog?.kind === 'delete' ? `Delete ${dialog.platform.name}?` : 'Delete platform?'}
        confirm="Delete platform"
        onConfirm={async () => {
          if (dialog?.kind !== 'delete') return;
          await api().platforms.delete(ownerId, dialog.platform.id);
          close();
          setDone(`Deleted ${dialog.platform.name}.`);
          platforms.reload();
        }}
        onClose={close}
      >
        <p>Its instances are removed too, and its agent stops and removes what runs for them. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}

function PlatformRow({ ownerId, platform, onRename, onDelete }: { ownerId: string; platform: Platform; onRename: () => void; onDelete: () => void }): JSX.Element {
  const instances = useAsync((signal) => api().instances.list(ownerId, platform.id, { perPage: 100 }, { signal }).toArray({ limit: 1000 }), [ownerId, platform.id, platform.updated_at]);
  const summary = instances.data ? summarize(instances.data) : undefined;
  return (
    <tr>
      <th scope="row">
        <Link to={`platforms/${platform.id}`}>{platform.name}</Link>
      </th>
      <td>{instances.error !== undefined ? 'Could not be read' : summary ? countsText(summary) : '…'}</td>
      <td>
        {summary?.lastReport ? (
          <>
            Last reported <Moment value={summary.lastReport} />
          </>
        ) : summary ? (
          <span class="muted">No report yet</span>
        ) : (
          '…'
        )}
        {platform.public_key && <span class="badge platform-key">Has its own key</span>}
      </td>
      <td>
        <div class="row row-end">
          <button type="button" class="btn" aria-label={`Rename ${platform.name}`} onClick={onRename}>
            Rename
          </button>
          <button type="button" class="btn btn-danger" aria-label={`Delete ${platform.name}`} onClick={onDelete}>
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}
