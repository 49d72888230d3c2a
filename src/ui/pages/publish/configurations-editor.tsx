/**
 * A build's configurations (named ways to run it), each with its tasks in words: what runs,
 * on which ports, with how much memory, how many instances, and the variables it reads.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Configuration } from '../../../sdk/types/configurations.js';
import type { Task, TaskCreateParams } from '../../../sdk/types/tasks.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, useAsync } from '../../components/index.js';
import { fieldErrors, SaveStatus, useSaveStatus } from './shared.js';
import { TaskDialog } from './task-dialog.js';

export function ConfigurationsEditor({ productId, buildId }: { productId: string; buildId: string }): JSX.Element {
  const configurations = useAsync((signal) => api().configurations.list(productId, buildId, { signal }), [productId, buildId]);
  const [status, setStatus] = useSaveStatus();
  const items = configurations.data?.items ?? [];
  const changed = (text: string) => {
    setStatus(text);
    configurations.reload();
  };
  return (
    <section class="card" aria-labelledby="configurations-heading">
      <h2 id="configurations-heading">Configurations</h2>
      <p class="muted">A configuration is one way to run this build; its tasks are the processes that run.</p>
      {configurations.loading && !configurations.data && <Loading label="Loading configurations…" />}
      {configurations.error !== undefined && <ErrorNote error={configurations.error} />}
      {configurations.data && items.length === 0 && <Empty title="No configurations yet.">Add one (e.g. "default"), then its tasks.</Empty>}
      {items.map((configuration) => (
        <ConfigurationCard key={configuration.id} productId={productId} buildId={buildId} configuration={configuration} onChange={changed} />
      ))}
      <SaveStatus text={status} />
      <NewConfiguration productId={productId} buildId={buildId} onAdded={(name) => changed(`Configuration ${name} added`)} />
    </section>
  );
}

function NewConfiguration({ productId, buildId, onAdded }: { productId: string; buildId: string; onAdded: (name: string) => void }): JSX.Element {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(error, { name: 'Configuration name' });
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) return setError(new Error('Give the configuration a name, e.g. default.'));
    setBusy(true);
    setError(undefined);
    try {
      await api().configurations.create(productId, buildId, { name: name.trim() });
      onAdded(name.trim());
      setName('');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const missing = error instanceof Error && error.message.startsWith('Give the configuration a name');
  return (
    <form class="row pub-inline-add" onSubmit={(event) => void submit(event)} noValidate>
      <Field label="Configuration name" error={missing ? (error as Error).message : byField.name}>
        <input type="text" name="configuration-name" value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} />
      </Field>
      <button type="submit" class="btn" disabled={busy}>
        Add configuration
      </button>
      {rest && !missing && <ErrorNote error={new Error(rest)} />}
    </form>
  );
}

interface CardProps {
  productId: string;
  buildId: string;
  configuration: Configuration;
  onChange: (status: string) => void;
}

function ConfigurationCard({ productId, buildId, configuration, onChange }: CardProps): JSX.Element {
  const tasks = useAsync((signal) => api().tasks.list(productId, buildId, configuration.id, { signal }), [configuration.id]);
  const [editing, setEditing] = useState<Task | 'new'>();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(configuration.name);
  const [error, setError] = useState<unknown>();
  const items = tasks.data?.items ?? [];
  const attempt = async (work: () => Promise<unknown>, done: string) => {
    setError(undefined);
    try {
      await work();
      onChange(done);
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    }
  };
  const saveTask = async (params: TaskCreateParams) => {
    if (editing && editing !== 'new') await api().tasks.update(productId, buildId, configuration.id, editing.id, params);
    else await api().tasks.create(productId, buildId, configuration.id, params);
    setEditing(undefined);
    tasks.reload();
    onChange(`Task ${params.name} saved`);
  };
  const headingId = `configuration-${configuration.id}`;
  return (
    <article class="pub-config" aria-labelledby={headingId}>
      <div class="pub-config-head">
        <h3 id={headingId}>Configuration {configuration.name}</h3>
        {renaming ? (
          <form
            class="row"
            onSubmit={(event) => {
              event.preventDefault();
              void attempt(() => api().configurations.update(productId, buildId, configuration.id, { name: name.trim() }), `Configuration renamed to ${name.trim()}`).then(
                (ok) => ok && setRenaming(false),
              );
            }}
          >
            <Field label="New name">
              <input type="text" value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} />
            </Field>
            <button type="submit" class="btn btn-primary">
              Rename
            </button>
            <button type="button" class="btn" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <div class="row">
              <button type="button" class="btn btn-quiet" aria-label={`Rename configuration ${configuration.name}`} onClick={() => setRenaming(true)}>
                Rename
              </button>
              <button
                type="button"
                class="btn btn-quiet btn-danger"
                aria-label={`Delete configuration ${configuration.name}`}
                onClick={() => void attempt(() => api().configurations.delete(productId, buildId, configuration.id), `Configuration ${configuration.name} deleted`)}
              >
                Delete
              </button>
            </div>
          </>
        )}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      {tasks.loading && !tasks.data && <Loading label="Loading tasks…" />}
      {tasks.error !== undefined && <ErrorNote error={tasks.error} />}
      {tasks.data && items.length === 0 && <p class="muted">No tasks yet: add the process this configuration runs.</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="pub-table" aria-label={`Tasks of configuration ${configuration.name}`}>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Runs</th>
                <th scope="col">Variables</th>
                <th scope="col">
                  <span class="pub-sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((task) => (
                <tr key={task.id}>
                  <th scope="row">
                    {task.name}
                    {task.label && <div class="muted">{task.label}</div>}
                  </th>
                  <td>{describeTask(task)}</td>
                  <td>{(task.environment ?? []).map((v) => v.key).join(', ') || '—'}</td>
                  <td>
                    <div class="row">
                      <button type="button" class="btn btn-quiet" aria-label={`Edit task ${task.name}`} onClick={() => setEditing(task)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        class="btn btn-quiet btn-danger"
                        aria-label={`Delete task ${task.name}`}
                        onClick={() => void attempt(() => api().tasks.delete(productId, buildId, configuration.id, task.id), `Task ${task.name} deleted`).then(() => tasks.reload())}
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <button type="button" class="btn" aria-label={`Add task to configuration ${configuration.name}`} onClick={() => setEditing('new')}>
        Add task
      </button>
      <TaskDialog open={editing !== undefined} task={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onSave={saveTask} />
    </article>
  );
}

/** "port 8080 · 256 MB · 1 to 3 instances · at 0 3 * * *": a task in words. */
export function describeTask(task: Task): string {
  const parts: string[] = [];
  const ports = task.ports ?? [];
  if (ports.length) parts.push(`${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')}`);
  if (task.memory) parts.push(`${task.memory} MB`);
  const min = task.minimum ?? undefined;
  const max = task.maximum ?? undefined;
  if (min !== undefined && max) parts.push(min === max ? `${min} ${min === 1 ? 'instance' : 'instances'}` : `${min} to ${max} instances`);
  else if (min !== undefined) parts.push(`at least ${min} ${min === 1 ? 'instance' : 'instances'}`);
  if (task.cron) parts.push(`on schedule ${task.cron}`);
  return parts.join(' · ') || '—';
}
