/**
 * The SDK client for the current session, and the one sentence to show for any failure. The UI
 * talks to the Marketplace API only through the project's own SDK.
 */
import { Marketplace } from '../sdk/client.js';
import { APIError, HspError } from '../sdk/errors.js';

let client: Marketplace | undefined;
let tokenSource: () => string | undefined = () => undefined;
let onUnauthorized: () => void = () => {};

/** Called once at boot with the marketplace URL and where the token comes from. */
export function configureApi(baseUrl: string, token: () => string | undefined, unauthorized: () => void): void {
  tokenSource = token;
  onUnauthorized = unauthorized;
  // One retry: a browser user would rather see the error soon than wait through backoff.
  client = new Marketplace({
    baseUrl,
    tokenProvider: () => tokenSource(),
    maxRetries: 1,
    timeoutMs: 30_000,
    // Whatever the page does with the error, a refused token ends the session at once.
    onResponse: (trace) => {
      if (trace.status === 401 && trace.headers.authorization) queueMicrotask(onUnauthorized);
    },
  });
}

export function api(): Marketplace {
  if (!client) throw new Error('The UI is not configured yet.');
  return client;
}

/**
 * One sentence for the person: the API's own message where there is one. A 401 while signed in
 * means the token expired or was revoked: the session ends and sign-in keeps this page.
 */
export function describeError(error: unknown): string {
  if (error instanceof APIError) {
    if (error.status === 401) return 'Your session has ended. Please sign in again.';
    if (error.serverMessage) return sentence(error.serverMessage);
    if (error.status === 404) return 'This no longer exists, or you may not see it.';
    if (error.status === 403) return 'You are not allowed to do that.';
    return sentence(error.message);
  }
  if (error instanceof HspError) return sentence(error.message);
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  if (error instanceof Error && error.message) return sentence(error.message);
  return 'Something went wrong. Please try again.';
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return 'Something went wrong. Please try again.';
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
