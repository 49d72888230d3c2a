/**
 * One task of a configuration, added or edited in a dialog: what runs (ports, memory, how many
 * instances, arguments, a schedule) and the environment variables it reads, which become the
 * fields operators fill in when they deploy the product.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Task, TaskCreateParams, TaskEnvironmentVariable } from '../../../sdk/types/tasks.js';
import { Dialog, ErrorNote, Field } from '../../components/index.js';
import { fieldErrors, wholeNumber } from './shared.js';

const LABELS = {
  name: 'Task name',
  label: 'Label',
  ports: 'Ports',
  memory: 'Memory (MB)',
  minimum: 'Minimum instances',
  maximum: 'Maximum instances',
  cron: 'Schedule (cron)',
  options: 'Arguments',
  environment: 'Environment variables',
};

interface Variable {
  key: string;
  description: string;
  default: string;
  required: boolean;
}

export interface TaskDialogProps {
  open: boolean;
  /** Undefined: a new task. */
  task?: Task;
  onClose: () => void;
  onSave: (params: TaskCreateParams) => Promise<void>;
}

export function TaskDialog({ open, task, onClose, onSave }: TaskDialogProps): JSX.Element {
  return (
    <Dialog open={open} title={task ? `Edit task ${task.name}` : 'Add a task'} onClose={onClose}>
      <TaskForm key={task?.id ?? 'new'} task={task} onSave={onSave} onCancel={onClose} />
    </Dialog>
  );
}

function TaskForm({ task, onSave, onCancel }: { task?: Task; onSave: TaskDialogProps['onSave']; onCancel: () => void }): JSX.Element {
  const [values, setValues] = useState({
    name: task?.name ?? '',
    label: task?.label ?? '',
    ports: (task?.ports ?? []).join(', '),
    memory: numberText(task?.memory),
    minimum: numberText(task?.minimum),
    maximum: numberText(task?.maximum),
    cron: task?.cron ?? '',
    options: (task?.options ?? []).join('\n'),
  });
  const [variables, setVariables] = useState<Variable[]>(
    (task?.environment ?? []).map((v) => ({ key: v.key, description: v.description ?? '', default: v.default ?? '', required: v.required === true })),
  );
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const api = fieldErrors(error, LABELS);
  const byField = { ...api.byField, ...problems };
  const set = (name: keyof typeof values) => (event: Event) => setValues((previous) => ({ ...previous, [name]: (event.target as HTMLInputElement).value }));
  const setVariable = (index: number, change: Partial<Variable>) => setVariables((list) => list.map((v, i) => (i === index ? { ...v, ...change } : v)));

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!values.name.trim()) found.name = 'Give the task a name, e.g. web.';
    const ports = values.ports.split(/[\s,]+/).filter(Boolean).map(Number);
    if (ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) found.ports = 'Ports are whole numbers from 1 to 65535, separated by commas.';
    const numbers = { memory: wholeNumber(values.memory), minimum: wholeNumber(values.minimum), maximum: wholeNumber(values.maximum) };
    for (const [name, value] of Object.entries(numbers)) if (Number.isNaN(value)) found[name] = `${LABELS[name as keyof typeof LABELS]} must be a whole number, 0 or more.`;
    const keys = variables.map((v) => v.key.trim()).filter(Boolean);
    const bad = keys.find((key) => !/^[A-Z0-9_]+$/.test(key));
    if (bad) found.environment = `The variable name "${bad}" may have only upper-case letters, digits and underscores.`;
    else if (new Set(keys).size !== keys.length) found.environment = 'Each variable name may appear once.';
    setProblems(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setError(undefined);
    try {
      const environment: TaskEnvironmentVariable[] = variables
        .filter((v) => v.key.trim())
        .map((v) => ({ key: v.key.trim(), description: v.description.trim(), required: v.required, ...(v.default ? { default: v.default } : {}) }));
      // A field emptied on an existing task is sent as null, which clears it (omitting it would keep the old value).
      const blank = task ? (null as unknown as undefined) : undefined;
      await onSave({
        name: values.name.trim(),
        label: values.label.trim() || blank,
        ports,
        memory: numbers.memory ?? blank,
        minimum: numbers.minimum ?? blank,
        maximum: numbers.maximum ?? blank,
        cron: values.cron.trim() || blank,
        options: values.options.split('\n').map((line) => line.trim()).filter(Boolean),
        environment,
      });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(event) => void submit(event)} noValidate class="pub-task-form">
      <div class="pub-grid">
        <Field label={LABELS.name} error={byField.name}>
          <input type="text" name="task-name" value={values.name} onInput={set('name')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label={LABELS.label} hint="A name for people, e.g. Web app." error={byField.label}>
          <input type="text" name="label" value={values.label} onInput={set('label')} autocomplete="off" />
        </Field>
        <Field label={LABELS.ports} hint="Container ports, e.g. 8080, 8443" error={byField.ports}>
          <input type="text" name="ports" inputMode="numeric" value={values.ports} onInput={set('ports')} autocomplete="off" />
        </Field>
        <Field label={LABELS.memory} hint="Per instance." error={byField.memory}>
          <input type="text" name="memory" inputMode="numeric" value={values.memory} onInput={set('memory')} autocomplete="off" />
        </Field>
        <Field label={LABELS.minimum} error={byField.minimum}>
          <input type="text" name="minimum" inputMode="numeric" value={values.minimum} onInput={set('minimum')} autocomplete="off" />
        </Field>
        <Field label={LABELS.maximum} hint="0: no maximum." error={byField.maximum}>
          <input type="text" name="maximum" inputMode="numeric" value={values.maximum} onInput={set('maximum')} autocomplete="off" />
        </Field>
      </div>
      <Field label={LABELS.cron} hint="Only for a task that runs on a schedule, e.g. 0 3 * * *" error={byField.cron}>
        <input type="text" name="cron" value={values.cron} onInput={set('cron')} autocomplete="off" spellcheck={false} />
      </Field>
      <Field label={LABELS.options} hint="Command-line arguments, one per line." error={byField.options}>
        <textarea name="options" rows={2} value={values.options} onInput={set('options')} spellcheck={false} />
      </Field>
      <fieldset class="pub-env" aria-describedby={byField.environment ? 'task-env-error' : undefined}>
        <legend>{LABELS.environment}</legend>
        <p class="field-hint">Operators fill these in when they deploy. Names in upper case, e.g. FHIR_BASE_URL.</p>
        {variables.length > 0 && (
          <ul class="pub-env-list">
            {variables.map((variable, index) => (
              <li key={index} class="pub-env-row">
                <Field label={`Variable ${index + 1} name`}>
                  <input type="text" value={variable.key} onInput={(event) => setVariable(index, { key: (event.target as HTMLInputElement).value })} autocomplete="off" spellcheck={false} />
                </Field>
                <Field label={`Variable ${index + 1} description`}>
                  <input type="text" value={variable.description} onInput={(event) => setVariable(index, { description: (event.target as HTMLInputElement).value })} autocomplete="off" />
                </Field>
                <Field label={`Variable ${index + 1} default`}>
                  <input type="text" value={variable.default} onInput={(event) => setVariable(index, { default: (event.target as HTMLInputElement).value })} autocomplete="off" spellcheck={false} />
                </Field>
                <label class="pub-env-required">
                  <input type="checkbox" checked={variable.required} onChange={(event) => setVariable(index, { required: (event.target as HTMLInputElement).checked })} /> Required
                </label>
                <button type="button" class="btn btn-quiet btn-danger" aria-label={`Remove variable ${index + 1}${variable.key ? ` (${variable.key})` : ''}`} onClick={() => setVariables((list) => list.filter((_, i) => i !== index))}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        {byField.environment && (
          <p class="field-error" id="task-env-error">
            {byField.environment}
          </p>
        )}
        <button type="button" class="btn" onClick={() => setVariables((list) => [...list, { key: '', description: '', default: '', required: false }])}>
          Add variable
        </button>
      </fieldset>
      {api.rest && <ErrorNote error={new Error(api.rest)} />}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save task'}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function numberText(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}
