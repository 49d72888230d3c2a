/**
 * One instance on the platform page: what it runs, its state as the agent last reported it
 * (in a live region, so a screen reader hears "Running since…" arrive), what the agent
 * reported (endpoints, workloads), and what the operator can do: Settings, Redeploy, Undeploy.
 */
import type { JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import type { Instance } from '../../../sdk/types/instances.js';
import { api } from '../../api.js';
import { ErrorNote } from '../../components/index.js';
import { environmentOf, stateOf, withoutReport, type InstanceState } from '../../live/instance-state.js';
import { useNames } from '../../live/names.js';
import { Link } from '../../router.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { Moment } from './moment.js';
import { SettingsDialog } from './settings-dialog.js';

export interface InstanceCardProps {
  ownerId: string;
  platformName: string;
  instance: Instance;
  /** A record the page wrote, shown at once. */
  onChanged: (instance: Instance) => void;
  onRemoved: (id: string) => void;
}

export function InstanceCard({ ownerId, platformName, instance, onChanged, onRemoved }: InstanceCardProps): JSX.Element {
  const headingId = useId();
  const names = useNames(instance.product_id, instance.build_id);
  const [dialog, setDialog] = useState<'settings' | 'undeploy' | undefined>();
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const state = stateOf(instance);
  const productName = names.product?.name ?? (names.product === null ? 'A product you can no longer see' : 'Loading…');
  const version = names.build?.version;
  const variables = Object.keys(environmentOf(instance)).sort();

  const redeploy = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      onChanged(await api().instances.update(ownerId, instance.platform_id, instance.id, { launch_bindings: withoutReport(instance), deployed_at: null }));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const undeploy = async () => {
    await api().instances.delete(ownerId, instance.platform_id, instance.id);
    setDialog(undefined);
    onRemoved(instance.id);
  };

  return (
    <article class={`card instance instance-${state.kind}`} aria-labelledby={headingId}>
      <div class="instance-head">
        <h2 id={headingId}>
          {names.product ? <Link to={`products/${names.product.id}`}>{productName}</Link> : productName}
        </h2>
        <span class="muted">{version ? `Build ${version}` : names.build === null ? 'Build unknown' : ''}</span>
      </div>
      <p class={`instance-state state-${state.kind}`} role="status" aria-live="polite">
        <span class="state-dot" aria-hidden="true" />
        <StateText state={state} />
      </p>
      <Report state={state} />
      {variables.length > 0 && (
        <p class="muted instance-variables">
          Environment: {variables.map((name, i) => (
            <>
              {i > 0 && ', '}
              <code>{name}</code>
            </>
          ))}
        </p>
      )}
      {failure !== undefined && <ErrorNote error={failure} />}
      <div class="form-actions">
        <button type="button" class="btn" onClick={() => setDialog('settings')}>
          Settings
        </button>
        <button type="button" class="btn" disabled={busy} onClick={() => void redeploy()}>
          Redeploy
        </button>
        <button type="button" class="btn btn-danger" onClick={() => setDialog('undeploy')}>
          Undeploy
        </button>
      </div>
      <SettingsDialog
        open={dialog === 'settings'}
        title={`Settings of ${names.product?.name ?? 'this instance'}`}
        ownerId={ownerId}
        instance={instance}
        onSaved={onChanged}
        onClose={() => setDialog(undefined)}
      />
      <ConfirmDialog open={dialog === 'undeploy'} title={`Undeploy ${names.product?.name ?? 'this instance'}?`} confirm="Undeploy" onConfirm={undeploy} onClose={() => setDialog(undefined)}>
        <p>
          The instance is removed from <strong>{platformName}</strong>, and its agent stops and removes what runs for it. Its settings are not kept.
        </p>
      </ConfirmDialog>
    </article>
  );
}

/** The words of the live region: "Deploying…", "Running since 14:05", "Failed: <the agent's reason>". */
function StateText({ state }: { state: InstanceState }): JSX.Element {
  if (state.kind === 'running') {
    return (
      <span>
        Running since <Moment value={state.since} />
      </span>
    );
  }
  if (state.kind === 'failed') return <span>Failed: {state.reason}</span>;
  return <span>Deploying…</span>;
}

/** What the agent reported it runs: where it listens and its workloads. */
function Report({ state }: { state: InstanceState }): JSX.Element | null {
  if (state.kind === 'failed') {
    return (
      <p class="muted">
        {state.at ? (
          <>
            The agent{state.orchestrator ? ` (${state.orchestrator})` : ''} reported this at <Moment value={state.at} />. Change the settings, or redeploy once the cause is fixed.
          </>
        ) : (
          'Change the settings, or redeploy once the cause is fixed.'
        )}
      </p>
    );
  }
  if (state.kind !== 'running') return <p class="muted">Waiting for the platform's agent to deploy it and report back.</p>;
  const workloads = state.workloads.map(describeWorkload).filter(Boolean);
  return (
    <dl class="instance-report">
      {state.orchestrator && (
        <>
          <dt>Orchestrator</dt>
          <dd>{state.orchestrator}</dd>
        </>
      )}
      <dt>Endpoints</dt>
      <dd>
        {state.endpoints.length === 0 ? (
          'None reported'
        ) : (
          <ul class="plain-list">
            {state.endpoints.map((endpoint) => (
              <li key={`${endpoint.task}:${endpoint.port}`}>
                <code>{endpoint.url}</code> <span class="muted">({endpoint.task}, port {endpoint.port})</span>
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>Containers</dt>
      <dd>
        {workloads.length === 0 ? (
          'None reported'
        ) : (
          <ul class="plain-list">
            {workloads.map((text, i) => (
              <li key={i}>{text}</li>
            ))}
          </ul>
        )}
      </dd>
    </dl>
  );
}

/**
 * One workload of a report in words. Docker reports containers (name, task, replica, ports as
 * container → host), Kubernetes deployments (name, task, ready replicas); other reports (an exec
 * hook's) are shown by whatever name they give.
 */
function describeWorkload(workload: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  const name = text(workload.name) ?? text(workload.deployment) ?? text(workload.container_id)?.slice(0, 12) ?? text(workload.id);
  const task = text(workload.task);
  const ports = Array.isArray(workload.ports)
    ? workload.ports
        .map((port: unknown) => {
          if (typeof port === 'number') return String(port);
          const mapping = port as { container?: unknown; host?: unknown } | null;
          return typeof mapping?.container === 'number' && typeof mapping.host === 'number' ? `${mapping.container} on host port ${mapping.host}` : undefined;
        })
        .filter(Boolean)
    : [];
  const ready = typeof workload.ready_replicas === 'number' && typeof workload.replicas === 'number' ? `${workload.ready_replicas} of ${workload.replicas} ready` : undefined;
  const parts = [task && `task ${task}`, typeof workload.replica === 'number' ? `replica ${workload.replica}` : undefined, ports.length ? `port ${ports.join(', ')}` : undefined, ready];
  const details = parts.filter(Boolean).join(', ');
  if (!name) return details;
  return details ? `${name} (${details})` : name;
}
