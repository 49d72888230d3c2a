/**
 * What the sign-in commands need from the outside world, in one place so that tests can swap
 * each piece: the config directory, the credential store, the browser, the questions asked at
 * the terminal, and how long a browser sign-in waits.
 */
import { openBrowser } from '../../../auth/browser.js';
import { ChainedCredentialStore } from '../../../auth/credentials.js';
import type { KeychainOptions } from '../../../auth/keychain.js';
import { configDir } from '../../../auth/paths.js';
import type { CliContext } from '../../context.js';
import { InterruptedError } from '../../errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/** Questions at a terminal. Callers check `ctx.interactive` before asking. */
export interface Prompts {
  confirm(message: string): Promise<boolean>;
  select<T>(message: string, choices: Choice<T>[]): Promise<T>;
  /** A masked answer (a token). Aborted through `signal` when the answer arrived another way. */
  secret(message: string, signal?: AbortSignal): Promise<string>;
  input(message: string): Promise<string>;
}

export interface AuthDeps {
  dir: string;
  store: ChainedCredentialStore;
  openBrowser(url: string): Promise<boolean>;
  prompts: Prompts;
  /** Browser sign-in: ask for a pasted token after this long (at a terminal). */
  pasteAfterMs: number;
  /** Browser sign-in: give up after this long when nobody can be asked. */
  webTimeoutMs: number;
  now(): Date;
}

/** Per-test replacements; `keychain` configures the default store's keychain (e.g. a fake module). */
export type AuthOverrides = Partial<Omit<AuthDeps, 'dir' | 'store'>> & {
  dir?: string;
  store?: (dir: string, env: NodeJS.ProcessEnv) => ChainedCredentialStore;
  keychain?: KeychainOptions;
};

export function authDeps(ctx: CliContext, overrides: AuthOverrides = {}): AuthDeps {
  const env = ctx.io.env;
  const dir = overrides.dir ?? configDir(env);
  return {
    dir,
    store: overrides.store?.(dir, env) ?? new ChainedCredentialStore({ dir, env, keychain: { env, ...overrides.keychain } }),
    openBrowser: overrides.openBrowser ?? ((url) => openBrowser(url, env)),
    prompts: overrides.prompts ?? inquirerPrompts(ctx),
    pasteAfterMs: overrides.pasteAfterMs ?? 30_000,
    webTimeoutMs: overrides.webTimeoutMs ?? 5 * 60_000,
    now: overrides.now ?? (() => new Date()),
  };
}

/** @inquirer/prompts over the context's streams, loaded only when a question is asked. */
function inquirerPrompts(ctx: CliContext): Prompts {
  const streams = { input: ctx.io.stdin, output: ctx.io.stderr };
  return {
    confirm: (message) => cancellable(async () => (await import('@inquirer/prompts')).confirm({ message, default: false }, streams)),
    select: <T>(message: string, choices: Choice<T>[]) => cancellable(async () => (await import('@inquirer/prompts')).select<T>({ message, choices }, streams)),
    secret: (message, signal) => cancellable(async () => (await import('@inquirer/prompts')).password({ message, mask: true }, { ...streams, signal })),
    input: (message) => cancellable(async () => (await import('@inquirer/prompts')).input({ message }, streams)),
  };
}

/** Ctrl-C at a question is "Cancelled." (exit code 130, as an interrupted command), not inquirer's own sentence. */
async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if ((error as Error)?.name === 'ExitPromptError') throw new InterruptedError('Cancelled.', { cause: error });
    throw error;
  }
}
