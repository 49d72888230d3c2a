/**
 * What the licences and administration pages share: a button's action with
 * its busy state, error and "done" sentence, a delete that asks once more, and a dash for
 * missing values (a person never reads "null" or "undefined").
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/index.js';

export interface Action {
  busy: boolean;
  error: unknown;
  /** The last success, said in the live region ("Role Editor added."). */
  done: string;
  /** Runs `work`; on success says `done` and resolves true, on failure keeps the error. */
  run(work: () => Promise<unknown>, done: string): Promise<boolean>;
  reset(): void;
}

export function useAction(): Action {
  const [state, setState] = useState<{ busy: boolean; error: unknown; done: string }>({ busy: false, error: undefined, done: '' });
  return {
    ...state,
    async run(work, done) {
      setState({ busy: true, error: undefined, done: '' });
      try {
        await work();
        setState({ busy: false, error: undefined, done });
        return true;
      } catch (error) {
        setState({ busy: false, error, done: '' });
        return false;
      }
    },
    reset: () => setState({ busy: false, error: undefined, done: '' }),
  };
}

/**
 * The outcome of an action: the API's sentence on failure, and a polite live region that is
 * always in the page (screen readers announce changes only of regions that already exist).
 */
export function ActionFeedback({ action }: { action: Action }): JSX.Element {
  return (
    <>
      {action.error !== undefined && <ErrorNote error={action.error} />}
      <p class="action-status" role="status" aria-live="polite">
        {action.done}
      </p>
    </>
  );
}

/**
 * "Delete" that asks "Delete X?" in place before it acts: a slip of the finger does not delete,
 * and no browser pop-up takes the focus away.
 */
export function ConfirmButton({ label, question, onConfirm, busy }: { label: string; question: string; onConfirm: () => void; busy?: boolean }): JSX.Element {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="btn btn-danger" disabled={busy} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <Question
      label={label}
      question={question}
      onCancel={() => setAsking(false)}
      onConfirm={() => {
        setAsking(false);
        onConfirm();
      }}
    />
  );
}

function Question({ label, question, onConfirm, onCancel }: { label: string; question: string; onConfirm: () => void; onCancel: () => void }): JSX.Element {
  const yes = useRef<HTMLButtonElement>(null);
  // The question replaced the button that had focus: keep the keyboard here.
  useEffect(() => yes.current?.focus(), []);
  return (
    <span class="confirm row" role="group" aria-label={question}>
      <span>{question}</span>
      <button ref={yes} type="button" class="btn btn-danger" onClick={onConfirm}>
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" class="btn" onClick={onCancel}>
        Cancel
      </button>
    </span>
  );
}

/** A value to show, or a dash for nothing. */
export function shown(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const text = String(value).trim();
  return text ? text : '—';
}

/** The value of the input or select an event came from. */
export function valueOf(event: Event): string {
  return (event.currentTarget as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
}

