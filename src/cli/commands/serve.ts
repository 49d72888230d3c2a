/**
 * `hsp serve`: a Marketplace Service on this machine. Flags win over the environment
 * (PORT, HOST, DATABASE_URL, HSP_DATA_DIR, MARKETPLACE_SECRET_KEY_BASE, MARKETPLACE_UI_URL).
 *
 * Every way starting can fail ends in one sentence for the user: a `UsageError` (exit 2) when
 * the command line or environment is wrong, a `StartupError` (exit 1) when the database or
 * the port is not available. Stack traces are for bugs, not for these.
 */
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';

export interface ServeOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  memory?: boolean;
  databaseUrl?: string;
  log?: boolean;
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

/**
 * `hsp serve` as a command: starts the server, serves until SIGINT or SIGTERM, then closes it
 * (which also removes the temporary token directory of a server without a data directory).
 */
export async function serveUntilStopped(options: ServeOptions, io: ServeIO, signals: NodeJS.EventEmitter = process): Promise<void> {
  // Listen before starting: until a listener exists, SIGTERM's default action kills the
  // process on the spot, and a stop requested during start-up would leave files behind.
  let onSignal = () => {};
  const stopped = new Promise<void>((resolve) => (onSignal = resolve));
  signals.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let server: { close(): Promise<void> };
  try {
    server = await serve(options, io);
  } catch (error) {
    signals.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    throw error;
  }
  await stopped;
  // A second Ctrl-C while closing means "now": do not wait for open connections.
  signals.once('SIGINT', () => process.exit(130));
  await server.close();
}

export async function serve(options: ServeOptions, io: ServeIO): Promise<{ close(): Promise<void> }> {
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

  const { createMarketplaceServer } = await import('../../server/index.js');
  const { dataDir: defaultDataDir } = await import('../../server/paths.js');
  const dataDir = memory || databaseUrl ? undefined : (options.dataDir ?? (env.HSP_DATA_DIR || defaultDataDir()));
  const host = options.host ?? (env.HOST || '127.0.0.1');

  let server: Awaited<ReturnType<typeof createMarketplaceServer>>;
  try {
    server = await createMarketplaceServer({
      port,
      host,
      memory,
      dataDir,
      databaseUrl,
      secretKeyBase: env.MARKETPLACE_SECRET_KEY_BASE || undefined,
      config: { uiUrl: env.MARKETPLACE_UI_URL },
      logger: !!options.log,
      onInternalError: (error) => io.stderr.write(`internal error: ${(error as Error)?.stack ?? String(error)}\n`),
    });
  } catch (error) {
    throw new StartupError(describeStartupError(error, { port, host, databaseUrl, dataDir }), { cause: error });
  }
  const where = databaseUrl ? `PostgreSQL at ${redact(databaseUrl)}` : memory ? 'an in-memory database' : dataDir;
  io.stdout.write(`Marketplace listening at ${server.url} (data: ${where})\n`);
  if (server.adminTokenFile) {
    io.stdout.write(`Administrator token written to ${server.adminTokenFile}\n`);
    io.stdout.write(`Sign in with: hsp login --url ${server.url} --with-token < ${server.adminTokenFile}\n`);
  }
  return server;
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

  if (err?.syscall === 'listen' || code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') {
    if (code === 'EADDRINUSE') return `Port ${context.port} on ${context.host} is already in use; choose another with --port.`;
    if (code === 'EACCES') return `Not allowed to listen on port ${context.port}; choose a port above 1023 with --port.`;
    if (code === 'EADDRNOTAVAIL') return `Cannot listen on ${context.host}: this machine has no such address; check --host.`;
    return `Cannot listen on ${context.host}:${context.port}: ${sentence(message)}`;
  }
  if (database) {
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
