/**
 * One platform: its instances, kept current from the platform's event stream while the page is
 * open. "Deploying…" turns into "Running since…" (or the agent's reason for a failure) as the
 * agent reports, without a reload.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Platform } from '../../sdk/types/platforms.js';
import { api } from '../api.js';
import { Empty, ErrorNote, Loading, PageTitle, SignedInOnly, useAsync } from '../components/index.js';
import { knownProductName } from '../live/names.js';
import { countsText, summarize } from '../live/platform-summary.js';
import { useLiveInstances } from '../live/use-live-instances.js';
import { Link } from '../router.js';
import { session, signedIn } from '../session.js';
import { AgentHint } from './platform/agent-hint.js';
import { InstanceCard } from './platform/instance-card.js';
import { Moment } from './platform/moment.js';
import { NameDialog } from './platform/name-dialog.js';
import { StreamIndicator } from './platform/stream-indicator.js';

export default function PlatformPage({ params }: { params: Record<string, string> }): JSX.Element {
  const ownerId = session.value.user?.id ?? '';
  return <SignedInOnly>{signedIn.value && <PlatformView key={`${ownerId}/${params.id}`} ownerId={ownerId} platformId={params.id ?? ''} />}</SignedInOnly>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function PlatformView({ ownerId, platformId }: { ownerId: string; platformId: string }): JSX.Element {
  const platform = useAsync(
    // A mistyped link: said in words, not as the SDK's complaint about the id.
    (signal) => (UUID.test(platformId) ? api().platforms.retrieve(ownerId, platformId, { signal }) : Promise.reject(new Error('There is no platform at this address; check the link.'))),
    [ownerId, platformId],
  );
  const [renamed, setRenamed] = useState<Platform>();
  if (platform.loading && !platform.data) return <Loading label="Loading the platform…" />;
  if (platform.error !== undefined || !platform.data) {
    return (
      <>
        <PageTitle title="Platform" />
        <ErrorNote error={platform.error ?? new Error('This platform could not be read.')} />
        <p>
          <Link to="platforms">Back to your platforms</Link>
        </p>
      </>
    );
  }
  return <Instances ownerId={ownerId} platform={renamed ?? platform.data} onRenamed={setRenamed} />;
}

function Instances({ ownerId, platform, onRenamed }: { ownerId: string; platform: Platform; onRenamed: (platform: Platform) => void }): JSX.Element {
  const live = useLiveInstances(ownerId, platform.id);
  const [renaming, setRenaming] = useState(false);
  const summary = summarize(live.instances);
  const lastRemoval = live.removed[live.removed.length - 1];

  return (
    <>
      <PageTitle title={platform.name}>
        <StreamIndicator status={live.stream} error={live.streamError} />
        <button type="button" class="btn" onClick={() => setRenaming(true)}>
          Rename
        </button>
      </PageTitle>
      <p class="platform-summary">
        <Link to="platforms">Your platforms</Link> · {countsText(summary)} ·{' '}
        {summary.lastReport ? (
          <>
            agent last reported at <Moment value={summary.lastReport} />
          </>
        ) : (
          'no report from its agent yet'
        )}
      </p>
      {live.stream === 'failed' && (
        <p class="notice">
          Changes no longer appear by themselves: {live.streamError?.message ?? 'the event stream stopped.'} Reload the page to try again.
        </p>
      )}
      {/* Said once an instance is gone (its own live region went with it). */}
      <p class="visually-hidden" role="status" aria-live="polite">
        {lastRemoval ? `Stopped: ${knownProductName(lastRemoval.productId) ?? 'an instance'} was removed from ${platform.name}.` : ''}
      </p>
      {live.error !== undefined && <ErrorNote error={live.error} />}
      {live.loading && live.instances.length === 0 ? (
        <Loading label="Loading its instances…" />
      ) : live.instances.length === 0 && live.error === undefined ? (
        <Empty title="Nothing is deployed on this platform yet.">
          <p>
            Find a product in the <Link to="">catalogue</Link> and choose <strong>Deploy to…</strong>.
          </p>
          <AgentHint name={platform.name} />
        </Empty>
      ) : (
        <div class="instance-list">
          {live.instances.map((instance) => (
            <InstanceCard key={instance.id} ownerId={ownerId} platformName={platform.name} instance={instance} onChanged={live.put} onRemoved={live.remove} />
          ))}
        </div>
      )}
      {live.instances.length > 0 && (
        <details class="card agent-details">
          <summary>Run this platform's agent</summary>
          <AgentHint name={platform.name} />
        </details>
      )}
      <NameDialog
        open={renaming}
        title="Rename platform"
        action="Rename"
        initial={platform.name}
        onSave={async (name) => {
          onRenamed(await api().platforms.update(ownerId, platform.id, { name }));
          setRenaming(false);
        }}
        onClose={() => setRenaming(false)}
      />
    </>
  );
}
