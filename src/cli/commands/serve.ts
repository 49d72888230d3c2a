/**
 * `hsp serve`: a Marketplace Service on this machine. Flags win over the environment
 * (PORT, HOST, DATABASE_URL, HSP_DATA_DIR, MARKETPLACE_SECRET_KEY_BASE, MARKETPLACE_UI_URL).
 */
import type { Writable } from 'node:stream';

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

export class UsageError extends Error {}

export async function serve(options: ServeOptions, io: ServeIO): Promise<{ close(): Promise<void> }> {
  const { createMarketplaceServer } = await import('../../server/index.js');
  const { dataDir: defaultDataDir } = await import('../../server/paths.js');
  const env = io.env;
  const port = parsePort(options.port ?? env.PORT ?? '3000');
  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  if (options.memory && (options.dataDir || options.databaseUrl)) {
    throw new UsageError('--memory cannot be combined with --data-dir or --database-url.');
  }
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UsageError('The database URL must start with postgres:// or postgresql://.');
  }
  const memory = !!options.memory;
  const dataDir = memory || databaseUrl ? undefined : (options.dataDir ?? env.HSP_DATA_DIR ?? defaultDataDir());

  const server = await createMarketplaceServer({
    port,
    host: options.host ?? env.HOST ?? '127.0.0.1',
    memory,
    dataDir,
    databaseUrl,
    secretKeyBase: env.MARKETPLACE_SECRET_KEY_BASE,
    config: { uiUrl: env.MARKETPLACE_UI_URL },
    logger: !!options.log,
    onInternalError: (error) => io.stderr.write(`internal error: ${(error as Error)?.stack ?? String(error)}\n`),
  });
  const where = databaseUrl ? 'PostgreSQL' : memory ? 'an in-memory database' : dataDir;
  io.stdout.write(`Marketplace listening at ${server.url} (data: ${where})\n`);
  if (server.adminTokenFile) {
    io.stdout.write(`Administrator token written to ${server.adminTokenFile}\n`);
    io.stdout.write(`Sign in with: hsp login --url ${server.url} --with-token < ${server.adminTokenFile}\n`);
  }
  return server;
}

function parsePort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new UsageError(`The port must be a number from 0 to 65535, got "${raw}".`);
  return Number(raw);
}
