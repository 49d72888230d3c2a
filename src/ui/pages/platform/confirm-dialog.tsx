/** A question before something that cannot be undone; the API's sentence when it fails. */
import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog, ErrorNote } from '../../components/index.js';

export interface ConfirmProps {
  open: boolean;
  title: string;
  children: ComponentChildren;
  /** The confirming button's text, e.g. "Undeploy". */
  confirm: string;
  /** Does the thing; a rejection is shown and the dialog stays open. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog({ open, title, children, confirm, onConfirm, onClose }: ConfirmProps): JSX.Element {
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      <ConfirmBody confirm={confirm} onConfirm={onConfirm} onClose={onClose}>
        {children}
      </ConfirmBody>
    </Dialog>
  );
}

function ConfirmBody({ children, confirm, onConfirm, onClose }: Omit<ConfirmProps, 'open' | 'title'>): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const run = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      await onConfirm();
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };
  return (
    <>
      <div class="stack">{children}</div>
      {failure !== undefined && <ErrorNote error={failure} />}
      <div class="form-actions">
        <button type="button" class="btn btn-danger" disabled={busy} onClick={() => void run()}>
          {confirm}
        </button>
        <button type="button" class="btn" onClick={onClose} autofocus>
          Cancel
        </button>
      </div>
    </>
  );
}
