/**
 * Runs the sign-in commands in-process as `hsp` would, with profiles and stored credentials:
 * a program with the global options, `registerAuthCommands` and the profile target resolver,
 * over in-memory streams. Each test gives its own config directory and a fake keychain, so
 * nothing touches the real home directory or OS keychain.
 *
 * Unlike test/helpers/cli.ts, stdin can stay open (a test types into it later) and stderr can
 * be watched while the command runs (a test reads the sign-in address it printed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { ChainedCredentialStore } from '../../src/auth/credentials.js';
import { KeychainUnavailableError, type KeychainModule } from '../../src/auth/keychain.js';
import { createTargetResolver } from '../../src/auth/target.js';
import { registerAuthCommands } from '../../src/cli/commands/auth/index.js';
import type { AuthOverrides } from '../../src/cli/commands/auth/deps.js';
import { createContext } from '../../src/cli/context.js';
import { debugDetails, describeError, EXIT, exitCodeFor } from '../../src/cli/errors.js';
import { addGlobalOptions, globalOptionsOf, inheritGlobalOptions } from '../../src/cli/global-options.js';
import type { Runner } from '../../src/cli/resource-command.js';
import type { CliRun } from './cli.js';

/** A keychain in memory, as keytar's API. `entries` shows what it holds. */
export function fakeKeychain(): KeychainModule & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getPassword: async (service, account) => entries.get(`${service}/${account}`) ?? null,
    setPassword: async (service, account, password) => void entries.set(`${service}/${account}`, password),
    deletePassword: async (service, account) => entries.delete(`${service}/${account}`),
  };
}

export async function tempConfigDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hsp-auth-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface AuthRunOptions {
  /** The config directory (required: never the real one). */
  dir: string;
  /** The keychain module; `null`: no keychain at all. */
  keychain: KeychainModule | null;
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  /** Text for stdin (then closed), or a stream the test writes to. */
  stdin?: string | PassThrough;
  overrides?: Omit<AuthOverrides, 'dir' | 'keychain' | 'store'>;
  /** Called with each piece of stderr as it is written. */
  onStderr?: (text: string) => void;
}

export async function hspAuth(args: string[], options: AuthRunOptions): Promise<CliRun> {
  const tty = options.tty ?? false;
  const stdout = Object.assign(new PassThrough(), { isTTY: tty, columns: 120 });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  const stdin = Object.assign(options.stdin instanceof PassThrough ? options.stdin : new PassThrough(), { isTTY: tty });
  if (!(options.stdin instanceof PassThrough)) stdin.end(options.stdin ?? '');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => {
    err.push(chunk);
    options.onStderr?.(chunk.toString('utf8'));
  });
  const env = { ...options.env };
  const load = async () => {
    if (!options.keychain) throw new KeychainUnavailableError('there is no keychain in this test');
    return options.keychain;
  };
  const store = (dir: string, storeEnv: NodeJS.ProcessEnv) => new ChainedCredentialStore({ dir, env: storeEnv, keychain: { env: storeEnv, load, timeoutMs: 500 } });
  const resolveTarget = createTargetResolver({ dir: options.dir, store });
  const io = { stdout, stderr, stdin, env };

  let debug = false;
  const program = new Command('hsp');
  addGlobalOptions(program)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  const run: Runner = (body) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const globals = globalOptionsOf(command);
    debug = !!globals.debug;
    const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : typeof a === 'string' ? [a] : []));
    await body(await createContext(io, globals, resolveTarget), command.opts(), positional);
  };
  registerAuthCommands(program, run, { ...options.overrides, dir: options.dir, store });
  inherit(program);
  inheritGlobalOptions(program);

  let code: number = EXIT.ok;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else {
      const { message, hint } = describeError(error);
      io.stderr.write(`${message}\n${hint ? `${hint}\n` : ''}`);
      if (debug) io.stderr.write(debugDetails(error).map((line) => `debug: ${line}\n`).join(''));
      code = exitCodeFor(error);
    }
  }
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

function inherit(parent: Command): void {
  for (const child of parent.commands) {
    child.copyInheritedSettings(parent);
    inherit(child);
  }
}
