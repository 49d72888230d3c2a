/** Creating or renaming a platform: one name, unique among the user's platforms. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog, ErrorNote, Field } from '../../components/index.js';

/** The server's limit on text fields; longer names are refused there too. */
const MAX_NAME = 255;

export interface NameDialogProps {
  open: boolean;
  title: string;
  /** The submit button's text: "Create" or "Rename". */
  action: string;
  initial?: string;
  /** Saves the name; a rejection (e.g. the name is taken) is shown and the dialog stays open. */
  onSave: (name: string) => Promise<void>;
  onClose: () => void;
}

export function NameDialog(props: NameDialogProps): JSX.Element {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <NameForm {...props} />
    </Dialog>
  );
}

function NameForm({ action, initial = '', onSave, onClose }: NameDialogProps): JSX.Element {
  const [name, setName] = useState(initial);
  const [error, setError] = useState<string>();
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    setFailure(undefined);
    if (!trimmed) return setError('Name is required.');
    if (trimmed.length > MAX_NAME) return setError(`Name is at most ${MAX_NAME} characters; this one has ${trimmed.length}.`);
    setError(undefined);
    setBusy(true);
    try {
      await onSave(trimmed);
    } catch (problem) {
      setFailure(problem);
      setBusy(false);
    }
  };
  return (
    <form noValidate onSubmit={(event) => void submit(event)}>
      <Field label="Name" hint="A host or cluster, e.g. ward-3-server. Unique among your platforms." error={error}>
        <input name="name" type="text" autocomplete="off" value={name} onInput={(event) => setName((event.target as HTMLInputElement).value)} />
      </Field>
      {failure !== undefined && <ErrorNote error={failure} />}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {action}
        </button>
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
