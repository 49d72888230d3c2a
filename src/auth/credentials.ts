/**
 * The credential store chain, as gh's: the `HSP_TOKEN` environment variable wins (CI, agents);
 * then the OS keychain (keychain.ts); then `credentials.yaml` beside the config, a plain-text
 * file with mode 0600 that is written only when the user agreed to plain text (`allowFile`:
 * `--insecure-storage`, or a yes at a prompt shown before anything is written).
 *
 * The file holds every profile's credential, so each write re-reads it under a lock file and
 * replaces it atomically: two processes saving different profiles at once both land.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isMap, LineCounter, parseDocument } from 'yaml';
import { writeFileAtomic } from './atomic-file.js';
import { expiresAt } from './jwt.js';
import { Keychain, KeychainUnavailableError, type KeychainOptions } from './keychain.js';
import { withFileLock, type LockOptions } from './lock.js';
import { credentialsFile } from './paths.js';
import type { Credential, CredentialLocation, CredentialStore } from './types.js';

const FILE_HEADER = [
  ' hsp credentials in PLAIN TEXT, readable only by you (mode 0600).',
  ' They are here because the OS keychain was unavailable and you agreed to a file.',
  ' "hsp logout" removes them; never commit or share this file.',
].join('\n');

/** The keychain is unavailable and plain text was not allowed: nothing was written. */
export class PlaintextRefusedError extends Error {
  override name = 'PlaintextRefusedError';
  constructor(
    /** Why there is no keychain, e.g. "the optional keytar module is not installed". */
    readonly reason: string,
    /** The file the credential would go to. */
    readonly file: string,
  ) {
    super(`The token was not saved: ${reason}, and storing it in plain text in ${file} was not allowed.`);
  }
}

/** The credentials file is not what hsp wrote. */
export class CredentialsFileError extends Error {
  override name = 'CredentialsFileError';
}

export interface CredentialStoreOptions {
  /** The config directory (paths.ts). */
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** A keychain, or how to make one (tests pass a fake module loader and a short timeout). */
  keychain?: Keychain | KeychainOptions;
  lock?: LockOptions;
}

export class ChainedCredentialStore implements CredentialStore {
  readonly file: string;
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly keychain: Keychain;
  private readonly lockOptions: LockOptions;

  constructor(options: CredentialStoreOptions) {
    this.dir = options.dir;
    this.file = credentialsFile(options.dir);
    this.env = options.env ?? process.env;
    this.keychain = options.keychain instanceof Keychain ? options.keychain : new Keychain({ env: this.env, ...options.keychain });
    this.lockOptions = options.lock ?? {};
  }

  /** Why the keychain cannot be used, once a call found out; for messages. */
  get keychainUnavailableReason(): string | undefined {
    return this.keychain.unavailableReason;
  }

  async get(profile: string): Promise<{ credential: Credential; location: CredentialLocation } | undefined> {
    const fromEnv = this.env.HSP_TOKEN?.trim();
    if (fromEnv) return { credential: { kind: 'marketplace', token: fromEnv, expires_at: expiresAt(fromEnv) }, location: 'environment' };
    return this.getStored(profile);
  }

  /** What is saved for the profile, ignoring `HSP_TOKEN` (for logout and status). */
  async getStored(profile: string): Promise<{ credential: Credential; location: 'keychain' | 'file' } | undefined> {
    try {
      const secret = await this.keychain.get(profile);
      if (secret) return { credential: decodeKeychainValue(secret), location: 'keychain' };
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error;
    }
    const credential = (await this.readFile())[profile];
    return credential ? { credential, location: 'file' } : undefined;
  }

  async set(profile: string, credential: Credential, options: { allowFile: boolean }): Promise<CredentialLocation> {
    checkCredential(credential);
    try {
      await this.keychain.set(profile, JSON.stringify(credential));
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error;
      if (!options.allowFile) throw new PlaintextRefusedError(error.message, this.file);
      await this.changeFile((all) => {
        all[profile] = credential;
      });
      return 'file';
    }
    // Safely in the keychain now: an older plain-text copy must not linger.
    await this.changeFile((all) => {
      if (!(profile in all)) return false;
      delete all[profile];
    });
    return 'keychain';
  }

  async delete(profile: string): Promise<void> {
    try {
      await this.keychain.delete(profile);
    } catch (error) {
      if (!(error instanceof KeychainUnavailableError)) throw error;
    }
    await this.changeFile((all) => {
      if (!(profile in all)) return false;
      delete all[profile];
    });
  }

  async withLock<T>(profile: string, work: () => Promise<T>): Promise<T> {
    return withFileLock(join(this.dir, `credential-${encodeURIComponent(profile)}.lock`), work, this.lockOptions);
  }

  private async readFile(): Promise<Record<string, Credential>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CredentialsFileError(`Cannot read ${this.file}: ${(error as Error).message}.`);
    }
    return parseCredentialsFile(this.file, text);
  }

  /**
   * Re-reads the file under its lock, changes it, and replaces it atomically (mode 0600).
   * `change` returns false when there is nothing to write, so no file appears for nothing.
   */
  private async changeFile(change: (all: Record<string, Credential>) => boolean | void): Promise<void> {
    await withFileLock(`${this.file}.lock`, async () => {
      const all = await this.readFile();
      if (change(all) === false) return;
      const doc = new Document({ profiles: all });
      doc.commentBefore = FILE_HEADER;
      await writeFileAtomic(this.file, doc.toString(), { mode: 0o600 });
    }, this.lockOptions);
  }
}

export function createCredentialStore(options: CredentialStoreOptions): ChainedCredentialStore {
  return new ChainedCredentialStore(options);
}

/** The keychain holds the credential as JSON; a bare token (saved by hand) is a marketplace token. */
function decodeKeychainValue(secret: string): Credential {
  try {
    const value = JSON.parse(secret) as Credential;
    if (value && typeof value === 'object' && typeof value.token === 'string') return value;
  } catch {
    // Not JSON: a bare token.
  }
  return { kind: 'marketplace', token: secret.trim(), expires_at: expiresAt(secret.trim()) };
}

function parseCredentialsFile(file: string, text: string): Record<string, Credential> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    // Never quote the file's text: it holds tokens.
    throw new CredentialsFileError(`${file}${at ? ` line ${at.line}, column ${at.col}` : ''} is not valid YAML; fix it, or delete it and run "hsp login" again.`);
  }
  const data = doc.toJS() as { profiles?: unknown } | null;
  if (data === null || data === undefined) return {};
  const profiles = data.profiles ?? {};
  const malformed = () => new CredentialsFileError(`${file} is not a credentials file written by hsp; fix it, or delete it and run "hsp login" again.`);
  if (!isMap(doc.contents) || typeof profiles !== 'object' || Array.isArray(profiles)) throw malformed();
  const result: Record<string, Credential> = {};
  for (const [name, value] of Object.entries(profiles as Record<string, unknown>)) {
    const credential = value as Credential;
    if (!credential || typeof credential !== 'object' || typeof credential.token !== 'string' || (credential.kind !== 'marketplace' && credential.kind !== 'oidc')) throw malformed();
    result[name] = credential;
  }
  return result;
}

function checkCredential(credential: Credential): void {
  if (!credential || typeof credential.token !== 'string' || !credential.token || /\s/.test(credential.token)) {
    throw new TypeError('A credential needs a token without spaces or line breaks.');
  }
}
