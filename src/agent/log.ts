/**
 * The agent's log: one JSON object per line on stdout, for journald, Docker or any log shipper:
 * `{"time":"…","level":"info","event":"deploy.done","instance":"…",…}`.
 *
 * Callers never pass secrets, but a log line outlives any review of the code that wrote it, so
 * fields whose names say "secret" (tokens, keys, passwords, environment values) are redacted
 * here too, at any depth.
 */
import type { Writable } from 'node:stream';
import type { AgentLog } from './orchestrator.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values never reach the log. */
const SECRET_KEY = /token|secret|password|passwd|private|credential|authori[sz]ation|cookie|api[-_]?key|^key$|jwt/i;
/** An environment as an object holds the values operators typed; as a list, only names. */
const ENVIRONMENT_KEY = /^env(ironment)?$/i;

/** Long enough for any sentence, short enough that a hostile payload cannot flood the log. */
const MAX_STRING = 2000;
const MAX_DEPTH = 6;

export interface LoggerOptions {
  /** Lines below this level are dropped (default `info`). */
  level?: LogLevel;
  /** The clock, for tests. */
  now?: () => Date;
}

/**
 * A logger writing to `stream`. The level is `fields.level` when given, otherwise read from the
 * event name: `*.failed` and `*.error` are errors, `*.refused` and `*.ignored` warnings.
 */
export function createLogger(stream: Writable, options: LoggerOptions = {}): AgentLog {
  const threshold = LEVELS[options.level ?? 'info'];
  const now = options.now ?? (() => new Date());
  return (event, fields = {}) => {
    const { level: given, ...rest } = fields;
    const level = isLevel(given) ? given : levelOf(event);
    if (LEVELS[level] < threshold) return;
    const line = { time: now().toISOString(), level, event, ...(sanitize(rest, 0) as Record<string, unknown>) };
    try {
      stream.write(`${JSON.stringify(line)}\n`);
    } catch {
      // A closed stdout (the reader went away) must not take the agent down with it.
    }
  };
}

export function levelOf(event: string): LogLevel {
  if (/\.(failed|error)$/.test(event)) return 'error';
  if (/\.(refused|ignored)$/.test(event)) return 'warn';
  return 'info';
}

function isLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in LEVELS;
}

/** A JSON-safe copy with secrets redacted, long strings clipped and errors as their message. */
function sanitize(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return sanitize(value.message, depth);
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => sanitize(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const secret = SECRET_KEY.test(key) || (ENVIRONMENT_KEY.test(key) && item !== null && typeof item === 'object' && !Array.isArray(item));
    out[key] = secret ? '[redacted]' : sanitize(item, depth + 1);
  }
  return out;
}
