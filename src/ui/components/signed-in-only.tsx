import type { ComponentChildren, JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { requireSignIn, signedIn } from '../session.js';
import { Loading } from './feedback.js';

/** Anonymous visitors go to sign-in and come back here; nothing of the page renders meanwhile. */
export function SignedInOnly({ children }: { children: ComponentChildren }): JSX.Element {
  const ok = signedIn.value;
  useEffect(() => {
    if (!ok) requireSignIn();
  }, [ok]);
  return ok ? <>{children}</> : <Loading label="Redirecting to sign-in…" />;
}
