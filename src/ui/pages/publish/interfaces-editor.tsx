/**
 * What a build offers other products (exposures) and what it needs from them (dependencies),
 * both as standard interfaces; a dependency also says which variables it gets from its provider.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Dependency } from '../../../sdk/types/dependencies.js';
import type { Interface } from '../../../sdk/types/interfaces.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field, Loading, useAsync } from '../../components/index.js';
import { fieldErrors, SaveStatus, useSaveStatus } from './shared.js';

interface Props {
  productId: string;
  buildId: string;
}

function useInterfaces() {
  return useAsync((signal) => api().interfaces.list({ perPage: 100, sort: 'name' }, { signal }), []);
}

function interfaceName(all: Interface[], id: string): string {
  const found = all.find((face) => face.id === id);
  return found ? `${found.name} ${found.version}` : 'An interface no longer listed';
}

function InterfaceSelect({ label, all, value, onChange }: { label: string; all: Interface[]; value: string; onChange: (id: string) => void }): JSX.Element {
  return (
    <Field label={label}>
      <select value={value} onChange={(event) => onChange((event.target as HTMLSelectElement).value)}>
        <option value="">Choose an interface…</option>
        {all.map((face) => (
          <option key={face.id} value={face.id}>
            {face.name} {face.version}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function ExposuresEditor({ productId, buildId }: Props): JSX.Element {
  const interfaces = useInterfaces();
  const exposures = useAsync((signal) => api().exposures.list(productId, buildId, undefined, { signal }), [buildId]);
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<unknown>();
  const [status, setStatus] = useSaveStatus();
  const all = interfaces.data?.items ?? [];
  const items = exposures.data?.items ?? [];
  const run = async (work: () => Promise<unknown>, done: string) => {
    setError(undefined);
    try {
      await work();
      setStatus(done);
      setChoice('');
      exposures.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="exposures-heading">
      <h2 id="exposures-heading">Exposes</h2>
      <p class="muted">Interfaces this build offers to other products on the same platform.</p>
      {(exposures.loading || interfaces.loading) && !exposures.data && <Loading />}
      {exposures.error !== undefined && <ErrorNote error={exposures.error} />}
      {interfaces.error !== undefined && <ErrorNote error={interfaces.error} />}
      {exposures.data && items.length === 0 && <Empty title="Exposes no interface." />}
      {items.length > 0 && (
        <ul class="pub-item-list">
          {items.map((exposure) => (
            <li key={exposure.id} class="row">
              <span>{interfaceName(all, exposure.interface_id)}</span>
              <button
                type="button"
                class="btn btn-quiet btn-danger"
                aria-label={`Remove exposed interface ${interfaceName(all, exposure.interface_id)}`}
                onClick={() => void run(() => api().exposures.delete(productId, buildId, exposure.id), 'Exposure removed')}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {interfaces.data && all.length === 0 && <p class="muted">The marketplace has no interfaces yet; an administrator adds them.</p>}
      {all.length > 0 && (
        <form
          class="row pub-inline-add"
          onSubmit={(event) => {
            event.preventDefault();
            if (choice) void run(() => api().exposures.create(productId, buildId, { interface_id: choice }), `Now exposes ${interfaceName(all, choice)}`);
          }}
        >
          <InterfaceSelect label="Interface to expose" all={all} value={choice} onChange={setChoice} />
          <button type="submit" class="btn" disabled={!choice}>
            Add exposure
          </button>
        </form>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      <SaveStatus text={status} />
    </section>
  );
}

export function DependenciesEditor({ productId, buildId }: Props): JSX.Element {
  const interfaces = useInterfaces();
  const dependencies = useAsync((signal) => api().dependencies.list(productId, buildId, undefined, { signal }), [buildId]);
  const [status, setStatus] = useSaveStatus();
  const [error, setError] = useState<unknown>();
  const [editing, setEditing] = useState<string>();
  const all = interfaces.data?.items ?? [];
  const items = dependencies.data?.items ?? [];
  const changed = (text: string) => {
    setStatus(text);
    setEditing(undefined);
    dependencies.reload();
  };
  const remove = async (dependency: Dependency) => {
    setError(undefined);
    try {
      await api().dependencies.delete(productId, buildId, dependency.id);
      changed('Dependency removed');
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="dependencies-heading">
      <h2 id="dependencies-heading">Needs</h2>
      <p class="muted">Interfaces this build needs from another product on the platform, and the variables it gets from it.</p>
      {(dependencies.loading || interfaces.loading) && !dependencies.data && <Loading />}
      {dependencies.error !== undefined && <ErrorNote error={dependencies.error} />}
      {dependencies.data && items.length === 0 && <Empty title="Needs no interface." />}
      {items.length > 0 && (
        <ul class="pub-item-list">
          {items.map((dependency) =>
            editing === dependency.id ? (
              <li key={dependency.id}>
                <DependencyForm productId={productId} buildId={buildId} all={all} dependency={dependency} onSaved={changed} onCancel={() => setEditing(undefined)} />
              </li>
            ) : (
              <li key={dependency.id} class="pub-dependency">
                <div>
                  <strong>{interfaceName(all, dependency.interface_id)}</strong> <span class="badge">{dependency.required === false ? 'Optional' : 'Required'}</span>
                  <p class="muted pub-mono">{mappingsText(dependency.mappings) || 'No variables mapped'}</p>
                </div>
                <div class="row">
                  <button type="button" class="btn btn-quiet" aria-label={`Edit dependency ${interfaceName(all, dependency.interface_id)}`} onClick={() => setEditing(dependency.id)}>
                    Edit
                  </button>
                  <button type="button" class="btn btn-quiet btn-danger" aria-label={`Remove dependency ${interfaceName(all, dependency.interface_id)}`} onClick={() => void remove(dependency)}>
                    Remove
                  </button>
                </div>
              </li>
            ),
          )}
        </ul>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      {all.length > 0 && editing === undefined && (
        <>
          <h3>Add a dependency</h3>
          <DependencyForm productId={productId} buildId={buildId} all={all} onSaved={changed} />
        </>
      )}
      <SaveStatus text={status} />
    </section>
  );
}

interface DependencyFormProps extends Props {
  all: Interface[];
  dependency?: Dependency;
  onSaved: (status: string) => void;
  onCancel?: () => void;
}

function DependencyForm({ productId, buildId, all, dependency, onSaved, onCancel }: DependencyFormProps): JSX.Element {
  const [interfaceId, setInterfaceId] = useState(dependency?.interface_id ?? '');
  const [required, setRequired] = useState(dependency?.required !== false);
  const [mappings, setMappings] = useState(mappingsText(dependency?.mappings));
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>();
  const { byField, rest } = fieldErrors(error, { mappings: 'Variables', interface_id: 'Interface' });
  const submit = async (event: Event) => {
    event.preventDefault();
    const parsed = parseMappings(mappings);
    if (typeof parsed === 'string') return setProblem(parsed);
    if (!interfaceId) return setProblem('Choose the interface this build needs.');
    setProblem(undefined);
    setError(undefined);
    try {
      const params = { interface_id: interfaceId, required, mappings: parsed };
      if (dependency) await api().dependencies.update(productId, buildId, dependency.id, params);
      else await api().dependencies.create(productId, buildId, params);
      onSaved(dependency ? 'Dependency saved' : `Now needs ${interfaceName(all, interfaceId)}`);
      if (!dependency) {
        setInterfaceId('');
        setMappings('');
      }
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form class="pub-dependency-form" onSubmit={(event) => void submit(event)} noValidate>
      <InterfaceSelect label="Interface needed" all={all} value={interfaceId} onChange={setInterfaceId} />
      <label class="pub-checkbox">
        <input type="checkbox" checked={required} onChange={(event) => setRequired((event.target as HTMLInputElement).checked)} /> Required (the build cannot run without it)
      </label>
      <Field label="Variables" hint="One per line: VARIABLE=source, the source being url, host, port, a parameter of the provider, or a template such as http://{host}:{port}/fhir" error={problem ?? byField.mappings}>
        <textarea rows={3} value={mappings} onInput={(event) => setMappings((event.target as HTMLTextAreaElement).value)} spellcheck={false} placeholder="FHIR_BASE_URL=url" />
      </Field>
      {rest && <ErrorNote error={new Error(rest)} />}
      <div class="form-actions">
        <button type="submit" class="btn">
          {dependency ? 'Save dependency' : 'Add dependency'}
        </button>
        {onCancel && (
          <button type="button" class="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function mappingsText(mappings: Record<string, unknown> | null | undefined): string {
  return Object.entries(mappings ?? {})
    .map(([name, source]) => `${name}=${typeof source === 'string' ? source : JSON.stringify(source)}`)
    .join('\n');
}

/** `NAME=source` lines into `{NAME: source}`, or the sentence saying which line is wrong. */
export function parseMappings(text: string): Record<string, string> | string {
  const result: Record<string, string> = {};
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const at = line.indexOf('=');
    const name = at > 0 ? line.slice(0, at).trim() : '';
    const source = at > 0 ? line.slice(at + 1).trim() : '';
    if (!name || !source) return `Line ${i + 1} ("${line}") is not VARIABLE=source.`;
    if (!/^[A-Z0-9_]+$/.test(name)) return `Line ${i + 1}: the variable name "${name}" may have only upper-case letters, digits and underscores.`;
    if (name in result) return `Line ${i + 1}: ${name} is mapped twice.`;
    result[name] = source;
  }
  return result;
}
