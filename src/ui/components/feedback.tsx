/** What a page shows while it waits, when something failed, and when there is nothing yet. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api.js';

/** Appears only after 150 ms, so quick answers do not flash a spinner. */
export function Loading({ label = 'Loading…' }: { label?: string }): JSX.Element {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setVisible(true), 150);
    return () => clearTimeout(timer);
  }, []);
  return (
    <div class="loading" role="status" aria-live="polite">
      {visible && (
        <>
          <span class="spinner" aria-hidden="true" />
          <span>{label}</span>
        </>
      )}
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }): JSX.Element {
  return (
    <div class="error-note" role="alert">
      {describeError(error)}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }): JSX.Element {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-hint">{children}</div>}
    </div>
  );
}
