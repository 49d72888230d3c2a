/**
 * An instance's settings: its environment values, edited with the same fields as when it was
 * deployed. Saving asks the agent to deploy it again with them.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Instance } from '../../../sdk/types/instances.js';
import { api } from '../../api.js';
import { Dialog, ErrorNote, Loading, useAsync } from '../../components/index.js';
import { environmentOf, withoutReport } from '../../live/instance-state.js';
import { buildVariables } from './build-variables.js';
import { checkEnvironment, draftOf, type EnvironmentDraft, type EnvironmentErrors } from './environment.js';
import { EnvironmentFields } from './environment-fields.js';

export interface SettingsDialogProps {
  open: boolean;
  title: string;
  ownerId: string;
  instance: Instance;
  onSaved: (instance: Instance) => void;
  onClose: () => void;
}

export function SettingsDialog(props: SettingsDialogProps): JSX.Element {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <SettingsForm {...props} />
    </Dialog>
  );
}

function SettingsForm({ ownerId, instance, onSaved, onClose }: SettingsDialogProps): JSX.Element {
  const productId = instance.product_id ?? '';
  const variables = useAsync((signal) => (productId ? buildVariables(productId, instance.build_id, signal) : Promise.resolve([])), [productId, instance.build_id]);
  // Untouched, the fields show the instance's values as they are now (derived in the same render
  // as the fields, so they never appear empty first); once edited, the person's draft is kept,
  // and a live update of the record does not wipe what is being typed.
  const [edited, setEdited] = useState<EnvironmentDraft>();
  const draft = edited ?? draftOf(variables.data ?? [], environmentOf(instance));
  const [errors, setErrors] = useState<EnvironmentErrors>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!variables.data || busy) return;
    const checked = checkEnvironment(variables.data, draft);
    setErrors(checked.errors);
    setFailure(undefined);
    if (Object.keys(checked.errors).length) {
      (document.querySelector('.settings-form [aria-invalid="true"]') as HTMLElement | null)?.focus();
      return;
    }
    setBusy(true);
    try {
      const saved = await api().instances.update(ownerId, instance.platform_id, instance.id, {
        launch_bindings: withoutReport(instance, checked.environment),
        deployed_at: null,
      });
      onSaved(saved);
      onClose();
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };

  if (variables.loading && !variables.data) return <Loading label="Loading the build's settings…" />;
  if (variables.error !== undefined) return <ErrorNote error={variables.error} />;
  return (
    <form class="settings-form" noValidate onSubmit={(event) => void submit(event)}>
      <EnvironmentFields variables={variables.data ?? []} draft={draft} errors={errors} onChange={setEdited} />
      <p class="muted">Saving asks the agent to deploy the instance again with these values.</p>
      {failure !== undefined && <ErrorNote error={failure} />}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Save and redeploy
        </button>
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
