/**
 * `hsp serve`: a Marketplace Service on this machine, and its UI at /ui/. Flags win over the
 * environment (PORT, HOST, DATABASE_URL, HSP_DATA_DIR, MARKETPLACE_SECRET_KEY_BASE,
 * MARKETPLACE_UI_URL, HSP_UI).
 *
 * Every way starting can fail ends in one sentence for the user: a `UsageError` (exit 2) when
 * the command line or environment is wrong, a `StartupError` (exit 1) when the database or
 * the port is not available. Stack traces are for bugs, not for these.
 */
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { keychainAbsence } from '../../auth/keychain-presence.js';
import { describeDuration } from '../../server/db/database.js';
import { startTelemetry, stopTelemetry } from '../../telemetry/process-telemetry.js';
import { telemetrySettings, TelemetrySettingsError } from '../../telemetry/settings.js';
import { InterruptedError, UsageError } from '../errors.js';
import { connectTimeoutOf, serveLimits, type ServeLimitOptions } from './serve-limits.js';

export interface ServeOptions extends ServeLimitOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  memory?: boolean;
  databaseUrl?: string;
  log?: boolean;
  /** `false` with `--no-ui`. */
  ui?: boolean;
  uiUrl?: string;
}

export interface ServeIO {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** The server could not start for a reason outside this program (database, port): exit code 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** SIGINT or SIGTERM came while the server was starting: it stopped, and closed what it had opened. */
export class StartInterruptedError extends InterruptedError {
  /** As a shell reports a command the signal ended: 130 for SIGINT, 143 for SIGTERM. */
  override readonly exitCode: number;
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`Stopped by ${signal} while starting; the server did not start, and nothing it had opened was left behind.`);
    this.exitCode = 128 + constants.signals[signal];
  }
}

/**
 * `hsp serve` as a command: starts the server, serves until SIGINT or SIGTERM, then closes it
 * (which also removes the temporary token directory of a server without a data directory).
 * A signal while it starts stops the start at once: whatever it opened is closed, and it ends
 * with `StartInterruptedError`.
 */
export async function serveUntilStopped(options: ServeOptions, io: ServeIO, signals: NodeJS.EventEmitter = process): Promise<void> {
  // Listen before starting: until a listener exists, SIGTERM's default action kills the
  // process on the spot, and a stop requested during start-up would leave files behind.
  const starting = new AbortController();
  let serving = false;
  let onStop: (signal: 'SIGINT' | 'SIGTERM') => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    onStop = (signal) => {
      // During the start: stop it, and a second signal while that closes means "now".
      if (!starting.signal.aborted && !serving) starting.abort(new StartInterruptedError(signal));
      resolve();
      signals.off('SIGINT', onInt).off('SIGTERM', onTerm);
      signals.once('SIGINT', () => process.exit(130));
      signals.once('SIGTERM', () => process.exit(143));
    };
  });
  const onInt = () => onStop('SIGINT');
  const onTerm = () => onStop('SIGTERM');
  signals.once('SIGINT', onInt).once('SIGTERM', onTerm);
  let server: { close(): Promise<void> };
  try {
    server = await serve(options, io, starting.signal);
    serving = true;
  } catch (error) {
    signals.off('SIGINT', onInt).off('SIGTERM', onTerm);
    throw error;
  }
  await stopped;
  // Closing waits for requests under way; a second signal means "now" (see above).
  await server.close();
  // Then the last spans and metrics, within a bounded time.
  await stopTelemetry();
}

export async function serve(options: ServeOptions, io: ServeIO, signal?: AbortSignal): Promise<{ close(): Promise<void> }> {
  const env = io.env;
  // Validate everything before loading the server: a typo should not cost a second of imports.
  const port = parsePort(options.port ?? env.PORT ?? '3000', options.port === undefined && env.PORT !== undefined);
  if (options.memory && (options.dataDir !== undefined || options.databaseUrl !== undefined)) {
    throw new UsageError('--memory cannot be combined with --data-dir or --database-url.');
  }
  if (options.dataDir !== undefined && options.databaseUrl !== undefined) {
    throw new UsageError('--data-dir cannot be combined with --database-url: the data lives in the PostgreSQL server.');
  }
  const memory = !!options.memory;
  // A flag chooses the storage outright; DATABASE_URL applies only when no flag chose one.
  const databaseUrl = memory || options.dataDir !== undefined ? undefined : (options.databaseUrl ?? (env.DATABASE_URL || undefined));
  if (databaseUrl !== undefined) checkDatabaseUrl(databaseUrl, options.databaseUrl === undefined);
  const limits = serveLimits(options, env);
  const ui = uiSettings(options, env);
  const telemetry = servedTelemetry(env);

  const { createMarketplaceServer } = await import('../../server/index.js');
  const { dataDir: defaultDataDir } = await import('../../server/paths.js');
  const dataDir = memory || databaseUrl ? undefined : (options.dataDir ?? (env.HSP_DATA_DIR || defaultDataDir()));
  const host = options.host ?? (env.HOST || '127.0.0.1');
  keepNewFilesPrivate();

  let server: Awaited<ReturnType<typeof createMarketplaceServer>>;
  try {
    // Before the app is built: it records requests only when telemetry runs (OTEL_EXPORTER_OTLP_ENDPOINT).
    await startTelemetry(telemetry);
    server = await createMarketplaceServer({
      port,
      host,
      memory,
      dataDir,
      databaseUrl,
      secretKeyBase: env.MARKETPLACE_SECRET_KEY_BASE || undefined,
      config: { uiUrl: ui.url, ...limits.config },
      ui: ui.serve ? undefined : false,
      cable: limits.cable,
      logger: !!options.log,
      onInternalError: (error) => io.stderr.write(`internal error: ${(error as Error)?.stack ?? String(error)}\n`),
      connectTimeoutMs: limits.connectTimeoutMs,
      signal,
    });
  } catch (error) {
    await stopTelemetry();
    if (error instanceof StartInterruptedError) throw error;
    throw new StartupError(describeStartupError(error, { port, host, databaseUrl, dataDir }), { cause: error });
  }
  const where = databaseUrl ? `PostgreSQL at ${redact(databaseUrl)}` : memory ? 'an in-memory database' : dataDir;
  io.stdout.write(`Marketplace listening at ${server.url} (data: ${where})\n`);
  if ('url' in server.ui) io.stdout.write(`Marketplace UI: ${server.ui.url}\n`);
  else if (server.ui.off) io.stdout.write(`Marketplace UI: not served, ${server.ui.off}.\n`);
  if (server.adminTokenRenewed) io.stdout.write(`The stored administrator token ${server.adminTokenRenewed}: a new one was written.\n`);
  if (server.adminTokenFile) {
    io.stdout.write(`Administrator token written to ${server.adminTokenFile}\n`);
    io.stdout.write(`Sign in with: ${signInCommand(server.url, server.adminTokenFile, env)}\n`);
  }
  return server;
}

/**
 * Whether to serve the UI (`--no-ui`, else HSP_UI), and where a UI hosted elsewhere lives
 * (`--ui-url`, else MARKETPLACE_UI_URL): an http(s) address without a fragment or user name,
 * since sign-ins send tokens there.
 */
export function uiSettings(options: Pick<ServeOptions, 'ui' | 'uiUrl'>, env: NodeJS.ProcessEnv): { serve: boolean; url?: string } {
  let serve = options.ui !== false;
  const flag = env.HSP_UI?.trim().toLowerCase();
  if (options.ui !== false && flag) {
    if (/^(0|false|no|off)$/.test(flag)) serve = false;
    else if (!/^(1|true|yes|on)$/.test(flag)) throw new UsageError(`HSP_UI must be true or false, not "${env.HSP_UI}".`);
  }
  const what = options.uiUrl !== undefined ? '--ui-url' : 'MARKETPLACE_UI_URL';
  const raw = options.uiUrl ?? (env.MARKETPLACE_UI_URL || undefined);
  if (raw === undefined) return { serve };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${what} must be the address of a Marketplace UI such as https://ui.example.org/, not "${raw}".`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.hash || raw.includes('#')) {
    throw new UsageError(`${what} must be an http or https address without a user name or a #fragment, not "${raw}".`);
  }
  return { serve, url: raw };
}

/** The server's own telemetry settings (OTEL_* variables); a variable that cannot work is a usage error. */
function servedTelemetry(env: NodeJS.ProcessEnv) {
  try {
    return telemetrySettings(env, 'hsp-serve');
  } catch (error) {
    if (error instanceof TelemetrySettingsError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The `hsp login` line to paste: the token file piped in, every word quoted as the shell needs
 * it, and `--insecure-storage` where `hsp login` will find no OS keychain (without it, login
 * from a pipe stores nothing there). Whether a keychain is there is judged without asking one,
 * which can hang for seconds on a headless machine (../../auth/keychain-presence.ts).
 */
export function signInCommand(url: string, tokenFile: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const flags = `--url ${shellWord(url, platform)} --with-token${keychainAbsence(env, platform) ? ' --insecure-storage' : ''}`;
  // PowerShell has no `<`; `type` reads a file in it and in cmd alike.
  if (platform === 'win32') return `type ${shellWord(tokenFile, platform)} | hsp login ${flags}`;
  return `hsp login ${flags} < ${shellWord(tokenFile, platform)}`;
}

/** A word the shell takes as it is: quoted when it holds a space, a quote, a glob character (`[::1]`), … */
function shellWord(text: string, platform: NodeJS.Platform): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  if (platform === 'win32') return `"${text}"`;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Everything the server writes from now on (the database's files, the token, the socket) is
 * its owner's alone. The umask is process-wide, so it also covers a database run in a worker
 * thread, which cannot set it; a process that is itself a worker leaves it to its parent.
 */
function keepNewFilesPrivate(): void {
  if (isMainThread && process.platform !== 'win32') process.umask(0o077);
}

export interface ServeTokenOptions {
  dataDir?: string;
  databaseUrl?: string;
  connectTimeout?: string;
  json?: boolean;
}

/**
 * `hsp serve token`: prints a fresh administrator token for a data folder (asking the server
 * that runs on it, if one does) or for a PostgreSQL database. Only who can read the folder, or
 * connect to the database, gets one: they hold the signing key anyway.
 */
export async function serveToken(options: ServeTokenOptions, io: ServeIO): Promise<void> {
  const env = io.env;
  if (options.dataDir !== undefined && options.databaseUrl !== undefined) {
    throw new UsageError('--data-dir cannot be combined with --database-url: the data lives in the PostgreSQL server.');
  }
  const databaseUrl = options.dataDir !== undefined ? undefined : (options.databaseUrl ?? (env.DATABASE_URL || undefined));
  if (databaseUrl !== undefined) checkDatabaseUrl(databaseUrl, options.databaseUrl === undefined);
  const connectTimeoutMs = connectTimeoutOf(options, env);
  const { issueAdministratorToken } = await import('../../server/index.js');
  const { dataDir: defaultDataDir } = await import('../../server/paths.js');
  const dataDir = databaseUrl ? undefined : (options.dataDir ?? (env.HSP_DATA_DIR || defaultDataDir()));
  keepNewFilesPrivate();

  let minted: Awaited<ReturnType<typeof issueAdministratorToken>>;
  try {
    minted = await issueAdministratorToken({ dataDir, databaseUrl, secretKeyBase: env.MARKETPLACE_SECRET_KEY_BASE || undefined, connectTimeoutMs });
  } catch (error) {
    throw new StartupError(describeStartupError(error, { port: 0, host: '', databaseUrl, dataDir }), { cause: error });
  }
  // stdout holds the token alone, for a pipe into `hsp login --with-token`.
  if (options.json) io.stdout.write(`${JSON.stringify({ token: minted.token, expires_at: minted.expiresAt.toISOString() })}\n`);
  else io.stdout.write(`${minted.token}\n`);
}

function parsePort(raw: string, fromEnv: boolean): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new UsageError(`The port${fromEnv ? ' (PORT)' : ''} must be a number from 0 to 65535, not "${raw}".`);
  }
  return Number(raw);
}

function checkDatabaseUrl(url: string, fromEnv: boolean): void {
  const what = fromEnv ? 'DATABASE_URL' : 'The database URL';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${what} is not a URL; it should look like postgres://user:password@host:5432/database.`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`${what} must start with postgres:// or postgresql://, not ${parsed.protocol}//.`);
  }
}

/** The URL without its password, fit to print. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'the given URL';
  }
}

interface StartupContext {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir?: string;
}

/**
 * One sentence for a failed start. Node's network errors say `connect ECONNREFUSED ::1:5432`
 * (or nothing at all, for an AggregateError of several addresses), and PostgreSQL's say what
 * went wrong but not where; the user needs both.
 */
export function describeStartupError(error: unknown, context: StartupContext): string {
  const err = error as NodeJS.ErrnoException & { syscall?: string; address?: string; errors?: unknown[]; severity?: string };
  const code = err?.code;
  const message = firstLine(err?.message ?? String(error));
  const database = context.databaseUrl ? databaseLabel(context.databaseUrl) : undefined;
  // The data folder's own refusals (in use, not private, not a marketplace) are already sentences.
  if (err?.name === 'DataFolderError' || err?.name === 'NoMarketplaceError') return sentence(message);

  if (err?.syscall === 'listen' || code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') {
    if (code === 'EADDRINUSE') return `Port ${context.port} on ${context.host} is already in use; choose another with --port.`;
    if (code === 'EACCES') return `Not allowed to listen on port ${context.port}; choose a port above 1023 with --port.`;
    if (code === 'EADDRNOTAVAIL') return `Cannot listen on ${context.host}: this machine has no such address; check --host.`;
    return `Cannot listen on ${context.host}:${context.port}: ${sentence(message)}`;
  }
  if (database) {
    if (err?.name === 'ConnectTimeoutError') {
      const limit = describeDuration((err as unknown as { limitMs: number }).limitMs);
      return `The PostgreSQL server at ${database} did not answer within ${limit}; check that it runs and that the URL names it, or allow longer with --connect-timeout.`;
    }
    if (code === 'ECONNREFUSED') return `Cannot connect to the PostgreSQL server at ${database}: the connection was refused.`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Cannot connect to the PostgreSQL server at ${database}: the host name was not found.`;
    if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return `Cannot connect to the PostgreSQL server at ${database}: the host cannot be reached.`;
    }
    if (code && /^[0-9A-Z]{5}$/.test(code)) return `The PostgreSQL server at ${database} refused: ${sentence(message)}`;
    return `Cannot use the PostgreSQL server at ${database}: ${sentence(message || String(code ?? 'unknown error'))}`;
  }
  if (context.dataDir && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR')) {
    return `Cannot use the data directory ${context.dataDir}: ${sentence(message)}`;
  }
  return sentence(message || 'The server could not start');
}

function databaseLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'the given URL';
  }
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/** Ends with exactly one full stop. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
