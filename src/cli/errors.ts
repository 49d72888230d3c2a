/**
 * What a failed command prints and which exit code it returns: one readable sentence (plus a
 * hint when one helps), never a stack trace. 0 success, 1 failure, 2 usage, 4 authentication.
 */

export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 4 } as const;

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** No credentials, or the server refused them: exit code 4. */
export class AuthRequiredError extends Error {
  override name = 'AuthRequiredError';
}

/** The one sentence for a missing token, wherever it is found missing. */
export function notSignedIn(): AuthRequiredError {
  return new AuthRequiredError('You are not signed in: run "hsp login", or set HSP_TOKEN.');
}

export function exitCodeFor(error: unknown): number {
  const name = (error as Error)?.name;
  if (name === 'UsageError' || name === 'InvalidArgumentError') return EXIT.usage;
  if (name === 'AuthRequiredError' || name === 'AuthenticationError' || name === 'LoginRequiredError') return EXIT.auth;
  return EXIT.failure;
}

export function describeError(error: unknown): { message: string; hint?: string } {
  const e = error as Error & { code?: string; status?: number };
  const message = (e?.message ?? String(error)).split('\n')[0] ?? 'Something went wrong.';
  switch (e?.name) {
    case 'AuthenticationError':
      return { message, hint: 'Sign in with "hsp login", or set HSP_TOKEN.' };
    case 'PermissionDeniedError':
      return { message, hint: 'Your account lacks the role for this; ask an administrator.' };
    case 'ConnectionError':
      return { message, hint: 'Is the marketplace running? Check --url (or HSP_URL).' };
    case 'TimeoutError':
      return { message, hint: 'The server is slow or unreachable; try again, or raise --timeout.' };
    case 'NotAcceptableError':
      return { message, hint: 'This server may not be an HSP Marketplace.' };
    case 'ManifestError': {
      // The message is the first problem; a manifest may have more.
      const more = ((e as { problems?: unknown[] }).problems?.length ?? 1) - 1;
      return more > 0 ? { message, hint: `${more} more problem${more === 1 ? '' : 's'}: "hsp manifest validate" lists them all.` } : { message };
    }
  }
  if (e?.code === 'EADDRINUSE') return { message: message.replace(/^listen /, 'Cannot listen: '), hint: 'Choose another port with --port.' };
  return { message };
}

/**
 * What `--debug` adds under the sentence: the error's class, and for HTTP errors the request
 * and the server's body (URLs are already redacted by the SDK; tokens never travel in bodies).
 */
export function debugDetails(error: unknown): string[] {
  const e = error as Error & { status?: number; method?: string; url?: string; body?: unknown; cause?: unknown };
  if (!e || typeof e !== 'object') return [];
  const lines = [`error: ${e.name ?? 'Error'}`];
  if (e.status !== undefined && e.method && e.url) lines.push(`request: ${e.method} ${e.url} -> HTTP ${e.status}`);
  if (e.body !== undefined && e.body !== null && e.body !== '') lines.push(`body: ${clip(typeof e.body === 'string' ? e.body : JSON.stringify(e.body))}`);
  const cause = e.cause as Error | undefined;
  if (cause?.message) lines.push(`cause: ${cause.name ?? 'Error'}: ${clip(cause.message)}`);
  return lines;
}

function clip(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}
