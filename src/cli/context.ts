/**
 * What every command gets injected (as gh's Factory): the IO streams, the global options,
 * the printer and a lazily made SDK client. Tests build one over in-memory streams.
 */
import type { Readable, Writable } from 'node:stream';
import type { Marketplace, TokenProvider } from '../index.js';
import { AuthRequiredError, notSignedIn, UsageError } from './errors.js';
import { Output, type Format } from './output.js';

export interface CliIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  url?: string;
  profile?: string;
  json?: boolean;
  output?: string;
  color?: boolean;
  interactive?: boolean;
  debug?: boolean;
}

/** Where to connect and as whom; the login issue plugs profiles and stored credentials in here. */
export interface Target {
  url: string;
  token?: string;
  /** `r1`, `r2` or `auto`, from the profile. */
  dialect?: 'r1' | 'r2' | 'auto';
  /** For credentials that renew themselves (OpenID Connect refresh tokens). */
  tokenProvider?: TokenProvider;
}

export type TargetResolver = (options: GlobalOptions, env: NodeJS.ProcessEnv) => Promise<Target | undefined>;

export interface CliContext {
  io: CliIO;
  options: GlobalOptions;
  output: Output;
  /** False with --no-interactive, HSP_NON_INTERACTIVE, --json, CI=true, or without a terminal. */
  interactive: boolean;
  /**
   * The SDK client for the selected marketplace; fails with exit code 4 when no URL is known.
   * `fallbackUrl` is used as if given with --url when flags, environment and profiles select
   * no marketplace (`hsp publish` falls back on the manifest's); the first call decides. Only a
   * profile saved for that URL signs it in, never HSP_TOKEN: a file (say, a manifest in a pull
   * request) must not be able to send the environment's token to a server of its choosing.
   */
  client(fallbackUrl?: string): Promise<Marketplace>;
  /** Like `client()`, but a token is required (exit code 4 without one). */
  signedInClient(fallbackUrl?: string): Promise<Marketplace>;
}

export async function createContext(io: CliIO, options: GlobalOptions, resolveTarget: TargetResolver = environmentTarget): Promise<CliContext> {
  const format = formatOf(options);
  const color = options.color !== false && !io.env.NO_COLOR && !!io.stdout.isTTY && io.env.TERM !== 'dumb';
  const output = await Output.create({ stdout: io.stdout, stderr: io.stderr, format, color });
  const interactive = options.interactive !== false && !output.machine && !!io.stdin.isTTY && !!io.stdout.isTTY && !isSet(io.env.CI) && !isSet(io.env.HSP_NON_INTERACTIVE);
  let client: Promise<Marketplace> | undefined;
  let target: Target | undefined;
  let fromFile = false;

  const makeClient = async (fallbackUrl: string | undefined): Promise<Marketplace> => {
    target = await resolveTarget(options, io.env);
    if (!target && fallbackUrl) {
      target = await resolveTarget({ ...options, url: fallbackUrl }, withoutEnvironmentToken(io.env));
      fromFile = true;
    }
    if (!target) throw new AuthRequiredError('No marketplace selected: pass --url, set HSP_URL, or run "hsp login".');
    const { Marketplace } = await import('../index.js');
    return new Marketplace({
      baseUrl: target.url,
      token: target.token,
      tokenProvider: target.tokenProvider,
      dialect: target.dialect,
      userAgent: 'hsp-cli',
      onRequest: options.debug ? (t) => io.stderr.write(`> ${t.method} ${t.url} (attempt ${t.attempt})${t.headers.authorization ? ` authorization: ${t.headers.authorization}` : ''}\n`) : undefined,
      onResponse: options.debug ? (t) => io.stderr.write(`< ${t.status} ${t.method} ${t.url} in ${Math.round(t.durationMs)} ms${t.retryInMs !== undefined ? `, retrying in ${t.retryInMs} ms` : ''}\n`) : undefined,
    });
  };

  return {
    io,
    options,
    output,
    interactive,
    client: (fallbackUrl) => (client ??= makeClient(fallbackUrl)),
    async signedInClient(fallbackUrl) {
      const c = await (client ??= makeClient(fallbackUrl));
      if (target?.token) return c;
      if (fromFile && io.env.HSP_TOKEN?.trim()) {
        throw new AuthRequiredError(`HSP_TOKEN is not sent to ${target!.url}, a marketplace named by a file: set HSP_URL (or pass --url) to it as well, or run "hsp login --url ${target!.url}".`);
      }
      throw notSignedIn();
    },
  };
}

function formatOf(options: GlobalOptions): Format | undefined {
  if (options.json) return 'json';
  if (options.output === undefined) return undefined;
  if (options.output === 'table' || options.output === 'json' || options.output === 'yaml') return options.output;
  throw new UsageError(`--output must be table, json or yaml, got "${options.output}".`);
}

/** A switch variable: set, and not to "false" or "0". */
function isSet(value: string | undefined): boolean {
  return !!value && value !== 'false' && value !== '0';
}

/** Without stored profiles: --url or HSP_URL, and HSP_TOKEN. */
export const environmentTarget: TargetResolver = async (options, env) => {
  const url = options.url ?? env.HSP_URL;
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`The marketplace URL must start with http:// or https://, got "${url}".`);
  return { url, token: env.HSP_TOKEN || undefined };
};

/** The environment without HSP_TOKEN, for a marketplace that a file rather than the user chose. */
function withoutEnvironmentToken(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { HSP_TOKEN: _token, ...rest } = env;
  return rest;
}
