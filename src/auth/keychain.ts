/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux)
 * through `keytar`, an optional native module: hsp works without it, so it is imported only
 * when a credential is read or written, and only if it is installed.
 *
 * Keychains hang on headless machines (no D-Bus, a locked keyring waiting for a password
 * dialog nobody sees), so every call runs under a timeout (3 s); after a failure or a timeout
 * the keychain is not asked again in this process. Note that a timed-out native call may
 * still be pending in the background: the CLI should exit explicitly when its work is done.
 */

/** The part of keytar's API hsp uses; tests pass a fake. */
export interface KeychainModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Loads the module, or says why there is none (for `hsp login`'s one sentence). */
export type KeychainLoader = () => Promise<KeychainModule>;

export const KEYCHAIN_SERVICE = 'hsp';
export const KEYCHAIN_TIMEOUT_MS = 3_000;

export class KeychainUnavailableError extends Error {
  override name = 'KeychainUnavailableError';
}

export interface KeychainOptions {
  env?: NodeJS.ProcessEnv;
  /** How to load the module (default: `import('keytar')`). */
  load?: KeychainLoader;
  timeoutMs?: number;
}

/** The keychain, or the reason it cannot be used, decided once per process and store. */
export class Keychain {
  private readonly env: NodeJS.ProcessEnv;
  private readonly load: KeychainLoader;
  private readonly timeoutMs: number;
  private module: Promise<KeychainModule> | undefined;
  /** Set on the first failure: later calls fail at once instead of waiting again. */
  private broken: KeychainUnavailableError | undefined;

  constructor(options: KeychainOptions = {}) {
    this.env = options.env ?? process.env;
    this.load = options.load ?? loadKeytar(this.env);
    this.timeoutMs = options.timeoutMs ?? KEYCHAIN_TIMEOUT_MS;
  }

  /** Why the keychain is off, or `undefined` when it works (or has not been tried yet). */
  get unavailableReason(): string | undefined {
    return this.broken?.message;
  }

  async get(account: string): Promise<string | null> {
    return this.call('read', (k) => k.getPassword(KEYCHAIN_SERVICE, account));
  }

  async set(account: string, secret: string): Promise<void> {
    return this.call('write', (k) => k.setPassword(KEYCHAIN_SERVICE, account, secret));
  }

  async delete(account: string): Promise<boolean> {
    return this.call('delete', (k) => k.deletePassword(KEYCHAIN_SERVICE, account));
  }

  private async call<T>(what: string, use: (k: KeychainModule) => Promise<T>): Promise<T> {
    if (this.broken) throw this.broken;
    if (this.env.HSP_NO_KEYRING && this.env.HSP_NO_KEYRING !== '0') {
      throw (this.broken = new KeychainUnavailableError('the OS keychain is turned off (HSP_NO_KEYRING)'));
    }
    try {
      const module = await this.within((this.module ??= this.load()), 'to load');
      return await this.within(use(module), `to ${what}`);
    } catch (error) {
      if (error instanceof KeychainUnavailableError) throw (this.broken = error);
      // keytar's messages can be long D-Bus diagnostics: the first line says enough.
      const reason = ((error as Error)?.message ?? String(error)).split('\n')[0]!.replace(/[.\s]+$/, '');
      throw (this.broken = new KeychainUnavailableError(`the OS keychain failed to ${what} (${reason})`));
    }
  }

  private within<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KeychainUnavailableError(`the OS keychain took more than ${Math.round(this.timeoutMs / 100) / 10} s ${what}`)), this.timeoutMs);
      // A hung keychain must not keep the process alive on its own.
      timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** `import('keytar')`, which is optional: absent, it is simply "no keychain". */
function loadKeytar(env: NodeJS.ProcessEnv): KeychainLoader {
  return async () => {
    // On Linux keytar talks to the Secret Service over the session D-Bus; without one it would
    // try to autolaunch a bus through X11 and fail (or hang) on every call.
    if (process.platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) {
      throw new KeychainUnavailableError('there is no desktop session keychain here (no D-Bus session)');
    }
    // A variable keeps TypeScript and the bundler from resolving a module that may be absent.
    const name = 'keytar';
    let module: { default?: KeychainModule } & Partial<KeychainModule>;
    try {
      module = (await import(name)) as typeof module;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new KeychainUnavailableError('the optional keytar module is not installed');
      throw new KeychainUnavailableError(`the keytar module could not be loaded (${((error as Error).message ?? '').split('\n')[0]})`);
    }
    const api = typeof module.getPassword === 'function' ? (module as KeychainModule) : module.default;
    if (!api || typeof api.getPassword !== 'function') throw new KeychainUnavailableError('the keytar module does not look like keytar');
    return api;
  };
}
