/** `hsp status`: the marketplace's health, and who the token belongs to with which permissions. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Marketplace, Permissions, Status } from '../../index.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../../agent/duration.js';
import { InterruptedError, UsageError } from '../errors.js';

export interface StatusOptions {
  /** First wait until the marketplace answers (a script that just started `hsp serve &`). */
  wait?: boolean;
  /** How long `--wait` waits, as a duration (`30s`, `2m`, `1500ms`). */
  timeout?: string;
}

/**
 * A marketplace's first start creates its database, which a slow machine may take half a minute
 * for; a generous limit costs nothing when the server is up (the wait ends at its first answer).
 */
const DEFAULT_WAIT = '60s';

export async function status(ctx: CliContext, options: StatusOptions = {}): Promise<void> {
  const limit = waitLimit(options);
  const client = await ctx.client();
  if (limit) await waitForAnswer(ctx, client, limit);
  const answer = withoutToken(await client.session.status());
  if (ctx.output.machine) return ctx.output.data(answer);
  const user = answer.identity?.user;
  const view = {
    marketplace: client.baseUrl,
    health: answer.message,
    'server time': answer.product?.datetime,
    'database time': answer.database?.datetime ?? 'no answer (see health)',
    'signed in as': user ? `${user.name} (${user.id})` : 'nobody: anonymous (run "hsp login" or set HSP_TOKEN)',
    ...(user ? { provider: answer.identity?.provider?.name ?? 'marketplace token', permissions: granted(answer.permissions ?? {}).join(', ') || 'none' } : {}),
  };
  await ctx.output.record(view);
}

interface WaitLimit {
  ms: number;
  /** As the user wrote it, for the sentence when it runs out. */
  text: string;
}

/** Checked before anything else, so that a typo costs no connection attempt. */
function waitLimit(options: StatusOptions): WaitLimit | undefined {
  if (!options.wait) {
    if (options.timeout !== undefined) throw new UsageError('--timeout only applies with --wait.');
    return undefined;
  }
  const text = options.timeout ?? DEFAULT_WAIT;
  let ms: number;
  try {
    ms = parseDuration(text, '--timeout');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (ms <= 0) throw new UsageError(`--timeout must be longer than 0, not "${text}".`);
  return { ms, text: text.trim() };
}

/** A marketplace still starting refuses connections for a moment: try again this often. */
const RETRY_EVERY_MS = 100;
/** One attempt's limit, so that a server that accepted and hung is asked again. */
const ATTEMPT_LIMIT_MS = 5_000;

/**
 * Asks `GET /status` until it is answered, as `kubectl wait` does: a refused or dropped
 * connection, a time-out or a 5xx (a proxy in front of a server still starting) is tried again
 * every 100 ms; any other answer ends the wait, and an error one (a 401, a 404 from something
 * that is not a marketplace) is reported as `hsp status` reports it. Ctrl+C ends it (exit 130).
 */
async function waitForAnswer(ctx: CliContext, client: Marketplace, limit: WaitLimit): Promise<void> {
  const deadline = performance.now() + limit.ms;
  const interruption = new AbortController();
  const onInterrupt = () => interruption.abort();
  process.once('SIGINT', onInterrupt);
  const signal = interruption.signal;
  let lastReason: string | undefined;
  try {
    for (;;) {
      const attemptMs = Math.max(1, Math.round(Math.min(deadline - performance.now(), ATTEMPT_LIMIT_MS)));
      try {
        await client.request({ method: 'GET', path: '/status', maxRetries: 0, timeoutMs: attemptMs, signal });
        return;
      } catch (error) {
        if (signal.aborted) throw interrupted(client);
        if (!worthWaitingFor(error)) throw error;
        // An attempt that --timeout cut short says nothing of the server (on a busy machine even
        // a refused connection can take that long): the attempt before it does.
        const cutShort = attemptMs < ATTEMPT_LIMIT_MS && (error as Error).name === 'TimeoutError';
        const reason = cutShort ? (lastReason ?? 'no answer yet') : reasonOf(error);
        if (deadline - performance.now() <= RETRY_EVERY_MS) {
          throw new Error(`${client.baseUrl} did not answer within ${limit.text} (--timeout): ${reason}.`, { cause: error });
        }
        lastReason = reason;
        ctx.output.progress(`Waiting for ${client.baseUrl} to answer (up to ${limit.text})…`);
        await sleep(RETRY_EVERY_MS, undefined, { signal }).catch(() => {
          throw interrupted(client);
        });
      }
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    ctx.output.endProgress();
  }
}

function interrupted(client: Marketplace): InterruptedError {
  return new InterruptedError(`Interrupted: ${client.baseUrl} had not answered yet.`);
}

/**
 * What a server that is starting (or a proxy in front of one) looks like. A TLS or certificate
 * failure is not: it is the wrong URL, and waiting would not change it.
 */
function worthWaitingFor(error: unknown): boolean {
  const { name, status, tls } = error as { name?: string; status?: number; tls?: boolean };
  if (name === 'TimeoutError') return true;
  if (name === 'ConnectionError') return !tls;
  return typeof status === 'number' && status >= 500;
}

/** The last attempt's failure, without the URL that the sentence names already. */
function reasonOf(error: unknown): string {
  const { name, status, message } = error as { name?: string; status?: number; message?: string };
  if (name === 'TimeoutError') return `an attempt got no answer within ${ATTEMPT_LIMIT_MS / 1000} s`;
  if (typeof status === 'number') return `it answered HTTP ${status}`;
  // "Could not reach http://127.0.0.1:3000: connection refused." → "connection refused"
  return (message ?? String(error)).replace(/^Could not reach \S+: /, '').replace(/\.$/, '');
}

/**
 * The reference server echoes the caller's token as `jwt.encoded`: a secret has no place in
 * output that people paste into issues.
 */
function withoutToken(answer: Status): Status {
  if (!answer.jwt || !('encoded' in answer.jwt)) return answer;
  const { encoded: _encoded, ...jwt } = answer.jwt;
  return { ...answer, jwt };
}

/** `{"products": {"read": true, "delete": false}}` → `["products.read"]`. */
export function granted(permissions: Permissions): string[] {
  return Object.entries(permissions).flatMap(([noun, verbs]) => Object.entries(verbs ?? {}).flatMap(([verb, allowed]) => (allowed === true ? [`${noun}.${verb}`] : [])));
}
