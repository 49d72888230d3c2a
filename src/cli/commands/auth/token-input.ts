/**
 * A token typed or piped in by the user: `hsp login --with-token < token.txt`, or pasted at
 * the prompt of a browser sign-in, either as the token itself or as the address of the page
 * that shows it (`…?jwt=<token>` or `…#jwt=<token>`). Never echo what was given in errors.
 */
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { AuthDeps } from './deps.js';

/** More than any JWT the marketplaces issue: a guard against piping in a wrong, huge file. */
const MAX_INPUT = 64 * 1024;

/** The token from stdin (a masked prompt when stdin is a terminal). */
export async function readTokenFromStdin(ctx: CliContext, deps: AuthDeps): Promise<string> {
  const { stdin } = ctx.io;
  if (stdin.isTTY && ctx.interactive) return tokenFrom(await deps.prompts.secret('Paste your token:'), 'prompt');
  let text = '';
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > MAX_INPUT) throw new UsageError('The input on stdin is far too long for a token; pipe in just the token.');
  }
  return tokenFrom(text, 'stdin');
}

/** One token: trimmed, `Bearer ` dropped, refusing nothing or several lines. */
export function tokenFrom(text: string, where: 'stdin' | 'prompt'): string {
  const trimmed = text.trim().replace(/^Bearer\s+/i, '');
  if (!trimmed) throw new UsageError(where === 'stdin' ? 'No token on stdin: pipe one in, e.g. hsp login --with-token < token.txt.' : 'No token was given.');
  if (/[\r\n]/.test(trimmed)) throw new UsageError(`Expected one token on ${where === 'stdin' ? 'stdin' : 'one line'}, but got several lines.`);
  if (/\s/.test(trimmed)) throw new UsageError('A token has no spaces in it; check what was pasted.');
  return trimmed;
}

/** A pasted token, or the token inside a pasted URL with `jwt=` in its query or fragment. */
export function tokenFromPaste(text: string): string {
  const trimmed = text.trim();
  if (/[?#&]jwt=/.test(trimmed)) {
    const match = /[?#&]jwt=([^&#\s]+)/.exec(trimmed);
    let token = '';
    try {
      token = decodeURIComponent(match?.[1] ?? '');
    } catch {
      // Malformed percent-encoding: refused below.
    }
    if (!token || /\s/.test(token)) throw new UsageError('The pasted address has an empty or malformed jwt= value.');
    return token;
  }
  if (/^https?:\/\//i.test(trimmed)) throw new UsageError('The pasted address has no jwt= in it; paste the token itself, or the address of the page that shows it.');
  return tokenFrom(trimmed, 'prompt');
}
