/** Where an identity provider's sign-in comes back: finish it, then go where the person was. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote, Loading, PageTitle } from '../components/index.js';
import { Link, navigate } from '../router.js';
import { completeProviderSignIn } from '../session.js';

export default function AuthCallbackPage(): JSX.Element {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    completeProviderSignIn().then(({ next }) => navigate(next, { replace: true }), setError);
  }, []);
  return (
    <div class="narrow">
      <PageTitle title="Signing in" />
      {error === undefined ? (
        <Loading label="Signing you in…" />
      ) : (
        <>
          <ErrorNote error={error} />
          <p>
            <Link to="sign-in">Back to sign in</Link>
          </p>
        </>
      )}
    </div>
  );
}
