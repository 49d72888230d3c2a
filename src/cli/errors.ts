/**
 * What a failed command prints and which exit code it returns: one readable sentence (plus a
 * hint when one helps), never a stack trace. One meaning per code across the CLI, chosen from
 * the error's class:
 *
 *   0    done
 *   1    failed: what the command found in the world is not as it needs (a file or a record
 *        that does not exist, a name several records share, a request the server refused)
 *   2    usage: the command line itself cannot be right, whatever the world holds (an unknown
 *        command or flag, a missing or malformed argument, flags that exclude each other)
 *   4    sign-in needed: no marketplace or token, or the server refused the token
 *   130  interrupted (Ctrl+C), as a shell reports a command a SIGINT ended
 */
import { CommanderError } from 'commander';
import { LoginRequiredError } from '../auth/login-required.js';
import { ManifestError } from '../manifest/errors.js';
import { AuthenticationError, ConnectionError, InvalidArgumentError, NotAcceptableError, PermissionDeniedError, TimeoutError } from '../sdk/errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 4, interrupted: 130 } as const;

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The command line is fine, the world is not as it needs: a record or file that is not there,
 * a name several records share, something that may not be replaced. Exit code 1.
 */
export class FailureError extends Error {
  override name = 'FailureError';
}

/** No credentials, or the server refused them: exit code 4. */
export class AuthRequiredError extends Error {
  override name = 'AuthRequiredError';
}

/** Ctrl+C at a question (the terminal is in raw mode there, so no SIGINT ends the process): exit code 130. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  /** 130; a stop by another signal says its own (`hsp serve` on SIGTERM: 143). */
  readonly exitCode: number = EXIT.interrupted;
}

/** The one sentence for a missing token, wherever it is found missing. */
export function notSignedIn(): AuthRequiredError {
  return new AuthRequiredError('You are not signed in: run "hsp login", or set HSP_TOKEN.');
}

export function exitCodeFor(error: unknown): number {
  // The SDK's InvalidArgumentError is a value it can tell is wrong before any request: the
  // CLI passes it what was typed, so it is a usage error too.
  if (error instanceof UsageError || error instanceof InvalidArgumentError) return EXIT.usage;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof AuthRequiredError || error instanceof AuthenticationError || error instanceof LoginRequiredError) return EXIT.auth;
  if (error instanceof InterruptedError) return error.exitCode;
  return EXIT.failure;
}

export function describeError(error: unknown): { message: string; hint?: string } {
  const e = error as Error & { code?: string };
  const message = (e?.message ?? String(error)).split('\n')[0] ?? 'Something went wrong.';
  if (error instanceof AuthenticationError) return { message, hint: 'Sign in with "hsp login", or set HSP_TOKEN.' };
  if (error instanceof PermissionDeniedError) return { message, hint: 'Your account lacks the role for this; ask an administrator.' };
  // A TLS failure's sentence names its own remedy, and that server is running.
  if (error instanceof ConnectionError) return error.tls ? { message } : { message, hint: 'Is the marketplace running? Check --url (or HSP_URL).' };
  if (error instanceof TimeoutError) return { message, hint: 'The server is slow or unreachable; try again, or raise --timeout.' };
  if (error instanceof NotAcceptableError) return { message, hint: 'This server may not be an HSP Marketplace.' };
  if (error instanceof ManifestError) {
    // The message is the first problem; a manifest may have more.
    const more = error.problems.length - 1;
    return more > 0 ? { message, hint: `${more} more problem${more === 1 ? '' : 's'}: "hsp manifest validate" lists them all.` } : { message };
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
