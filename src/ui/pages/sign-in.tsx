/**
 * Sign in: through one of the marketplace's identity providers (OpenID Connect, as SMART on
 * FHIR apps do), or by pasting a token, which is how the administrator of a local `hsp serve`
 * signs in (the token is in the data folder's admin.token).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { IdentityProvider } from '../../sdk/types/identity-providers.js';
import { Empty, ErrorNote, Field, Loading, PageTitle, useAsync } from '../components/index.js';
import { uiConfig } from '../config.js';
import { api } from '../api.js';
import { navigate, route } from '../router.js';
import { signedIn, signInWithToken, startProviderSignIn } from '../session.js';

export default function SignInPage(): JSX.Element {
  const next = safeNext(route.value.query.get('next'));
  const expired = route.value.query.get('expired') === '1';
  const providers = useAsync((signal) => api().identityProviders.list({ perPage: 50 }, { signal }), []);
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  if (signedIn.value && !busy) {
    return (
      <>
        <PageTitle title="Sign in" />
        <p>You are signed in.</p>
        <button type="button" class="btn btn-primary" onClick={() => navigate(next)}>
          Continue
        </button>
      </>
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signInWithToken(token);
      setToken('');
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  // Anonymous callers are shown enabled providers only, without `enabled_at`; an administrator sees them all.
  const enabled = (providers.data?.items ?? []).filter((provider: IdentityProvider) => provider.enabled_at !== null);
  return (
    <div class="narrow">
      <PageTitle title="Sign in" />
      {expired && <p class="notice">Your session ended. Sign in again to continue where you were.</p>}
      <section aria-labelledby="providers-heading" class="card">
        <h2 id="providers-heading">With your organisation's account</h2>
        {providers.loading && <Loading label="Loading identity providers…" />}
        {providers.error !== undefined && <ErrorNote error={providers.error} />}
        {!providers.loading && !providers.error && enabled.length === 0 && (
          <Empty title="This marketplace has no identity provider enabled.">Sign in with a token below.</Empty>
        )}
        <ul class="provider-list">
          {enabled.map((provider) => (
            <li key={provider.id}>
              <button type="button" class="btn btn-primary btn-wide" onClick={() => startProviderSignIn(uiConfig.marketplaceUrl, provider.id, next)}>
                Sign in with {provider.name}
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="token-heading" class="card">
        <h2 id="token-heading">With a token</h2>
        <form onSubmit={(event) => void submit(event)}>
          <Field
            label="Token"
            hint={
              <>
                For a local <code>hsp serve</code>: the contents of <code>admin.token</code> in its data folder, or the output of <code>hsp auth token</code>.
              </>
            }
          >
            <textarea
              rows={3}
              autocomplete="off"
              spellcheck={false}
              value={token}
              onInput={(event) => setToken((event.target as HTMLTextAreaElement).value)}
              required
            />
          </Field>
          {error !== undefined && <ErrorNote error={error} />}
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in with token'}
          </button>
        </form>
      </section>
    </div>
  );
}

/** Only UI-relative targets: never leave the UI after sign-in. */
function safeNext(value: string | null): string {
  if (!value || /^[a-z][a-z0-9+.-]*:|^\/\/|^\\/i.test(value)) return '';
  return value.replace(/^\/+/, '');
}
