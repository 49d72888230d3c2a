import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainedCredentialStore, PlaintextRefusedError } from '../../../src/auth/credentials.js';
import { Keychain, KEYCHAIN_TIMEOUT_MS, KeychainUnavailableError, type KeychainModule } from '../../../src/auth/keychain.js';
import { LockTimeoutError, withFileLock } from '../../../src/auth/lock.js';
import { credentialsFile } from '../../../src/auth/paths.js';
import type { Credential } from '../../../src/auth/types.js';
import type { AuthDeps, Prompts } from '../../../src/cli/commands/auth/deps.js';
import { saveCredential } from '../../../src/cli/commands/auth/storage.js';
import { createContext } from '../../../src/cli/context.js';
import { fakeKeychain } from '../../helpers/auth-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-credentials-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const credential: Credential = { kind: 'marketplace', token: 'aaa.bbb.ccc', expires_at: '2030-01-01T00:00:00.000Z' };

function storeWith(keychain: KeychainModule | 'absent' | 'hangs', env: NodeJS.ProcessEnv = {}, timeoutMs = 100): { store: ChainedCredentialStore; loads: () => number } {
  let loads = 0;
  const load = async (): Promise<KeychainModule> => {
    loads++;
    if (keychain === 'absent') throw new KeychainUnavailableError('the optional keytar module is not installed');
    if (keychain === 'hangs') return { getPassword: () => new Promise(() => undefined), setPassword: () => new Promise(() => undefined), deletePassword: () => new Promise(() => undefined) };
    return keychain;
  };
  return { store: new ChainedCredentialStore({ dir, env, keychain: { env, load, timeoutMs }, lock: { pollMs: 5 } }), loads: () => loads };
}

/** What the promise rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('the keychain', () => {
  it('is preferred: nothing is written to disk', async () => {
    const keychain = fakeKeychain();
    const { store } = storeWith(keychain);
    expect(await store.set('prod', credential, { allowFile: true })).toBe('keychain');
    expect(JSON.parse(keychain.entries.get('hsp/prod')!)).toEqual(credential);
    expect(await store.get('prod')).toEqual({ credential, location: 'keychain' });
    expect(await exists(credentialsFile(dir))).toBe(false);
    await store.delete('prod');
    expect(keychain.entries.size).toBe(0);
    expect(await store.get('prod')).toBeUndefined();
  });

  it('a bare token saved by hand in the keychain is read as a marketplace token', async () => {
    const keychain = fakeKeychain();
    keychain.entries.set('hsp/prod', ' by.hand.token \n');
    expect((await storeWith(keychain).store.get('prod'))?.credential).toEqual({ kind: 'marketplace', token: 'by.hand.token', expires_at: undefined });
  });

  it('saving to the keychain removes an older plain-text copy', async () => {
    const { store: noKeychain } = storeWith('absent');
    await noKeychain.set('prod', credential, { allowFile: true });
    await noKeychain.set('other', credential, { allowFile: true });
    const keychain = fakeKeychain();
    const { store } = storeWith(keychain);
    expect(await store.set('prod', { ...credential, token: 'new.new.new' }, { allowFile: false })).toBe('keychain');
    const file = await readFile(credentialsFile(dir), 'utf8');
    expect(file).not.toContain('prod:');
    expect(file).toContain('other:');
    expect(await store.get('prod')).toMatchObject({ location: 'keychain', credential: { token: 'new.new.new' } });
  });

  it('a keychain that hangs is given up after the timeout, and not asked again', async () => {
    expect(KEYCHAIN_TIMEOUT_MS).toBe(3_000);
    const { store: fileStore } = storeWith('absent');
    await fileStore.set('prod', credential, { allowFile: true });

    const { store, loads } = storeWith('hangs', {}, 150);
    const started = Date.now();
    expect(await store.get('prod')).toEqual({ credential, location: 'file' });
    const first = Date.now() - started;
    expect(first).toBeGreaterThanOrEqual(140);
    expect(first).toBeLessThan(2_000);
    expect(store.keychainUnavailableReason).toMatch(/took more than 0\.2 s to read|took more than 0\.1 s to read/);

    const again = Date.now();
    expect(await store.get('prod')).toEqual({ credential, location: 'file' });
    expect(await store.set('prod', credential, { allowFile: true })).toBe('file');
    expect(Date.now() - again).toBeLessThan(100);
    expect(loads()).toBe(1);
  });

  it('a keychain whose calls fail falls through to the file', async () => {
    const failing: KeychainModule = {
      getPassword: async () => {
        throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY\nmore detail');
      },
      setPassword: async () => {
        throw new Error('no');
      },
      deletePassword: async () => false,
    };
    const { store } = storeWith(failing);
    expect(await store.get('prod')).toBeUndefined();
    expect(store.keychainUnavailableReason).toBe('the OS keychain failed to read (Cannot autolaunch D-Bus without X11 $DISPLAY)');
  });

  it('HSP_NO_KEYRING=1 skips it without loading it', async () => {
    const { store, loads } = storeWith(fakeKeychain(), { HSP_NO_KEYRING: '1' });
    await expect(store.set('prod', credential, { allowFile: false })).rejects.toThrow(PlaintextRefusedError);
    expect(loads()).toBe(0);
    expect(store.keychainUnavailableReason).toMatch(/HSP_NO_KEYRING/);
  });

  it('keytar itself is optional: absent, it is "no keychain"', async () => {
    // Not installed in this repository: the default loader must say so, not crash. On Linux
    // without a D-Bus session it stops even earlier.
    const keychain = new Keychain({ env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } });
    await expect(keychain.get('x')).rejects.toThrow(/keytar module is not installed|keytar module could not be loaded|keychain failed/);
    const headless = new Keychain({ env: {} });
    if (process.platform === 'linux') await expect(headless.get('x')).rejects.toThrow(/no D-Bus session/);
  });
});

describe('the plain-text file', () => {
  it('is written only when allowed: otherwise nothing at all is written', async () => {
    const { store } = storeWith('absent');
    const refused = (await rejection(store.set('prod', credential, { allowFile: false }))) as PlaintextRefusedError;
    expect(refused).toBeInstanceOf(PlaintextRefusedError);
    expect(refused.reason).toBe('the optional keytar module is not installed');
    expect(refused.file).toBe(credentialsFile(dir));
    expect(await readdir(dir)).toEqual([]);
  });

  it('has mode 0600, a warning header, and no temporary or lock files left', async () => {
    const { store } = storeWith('absent');
    expect(await store.set('prod', credential, { allowFile: true })).toBe('file');
    expect((await stat(credentialsFile(dir))).mode & 0o777).toBe(0o600);
    const text = await readFile(credentialsFile(dir), 'utf8');
    expect(text).toMatch(/^# hsp credentials in PLAIN TEXT/);
    expect(await readdir(dir)).toEqual(['credentials.yaml']);
    expect(await store.get('prod')).toEqual({ credential, location: 'file' });
    await store.delete('prod');
    expect(await store.get('prod')).toBeUndefined();
  });

  it('concurrent saves of different profiles all land', async () => {
    const { store } = storeWith('absent');
    await Promise.all(Array.from({ length: 6 }, (_, i) => store.set(`p${i}`, { ...credential, token: `t${i}.x.y` }, { allowFile: true })));
    for (let i = 0; i < 6; i++) expect((await store.get(`p${i}`))?.credential.token).toBe(`t${i}.x.y`);
  });

  it('a damaged file is one sentence that never quotes its contents', async () => {
    await writeFile(credentialsFile(dir), 'profiles:\n  prod:\n    token: "secret-value\n', { mode: 0o600 });
    const error = await rejection(storeWith('absent').store.get('prod'));
    expect(error.message).toMatch(/credentials\.yaml line \d+, column \d+ is not valid YAML; fix it, or delete it and run "hsp login" again\.$/);
    expect(error.message).not.toContain('secret-value');
    await writeFile(credentialsFile(dir), 'profiles:\n  prod: secret-value\n', { mode: 0o600 });
    const shape = await rejection(storeWith('absent').store.get('prod'));
    expect(shape.message).toMatch(/is not a credentials file written by hsp/);
    expect(shape.message).not.toContain('secret-value');
  });

  it('refuses a token with spaces or line breaks', async () => {
    const { store } = storeWith(fakeKeychain());
    await expect(store.set('prod', { kind: 'marketplace', token: 'a b' }, { allowFile: true })).rejects.toThrow(/without spaces/);
  });
});

describe('HSP_TOKEN', () => {
  it('wins over the keychain and the file for reading, and is never written', async () => {
    const keychain = fakeKeychain();
    const { store } = storeWith(keychain, { HSP_TOKEN: ' env.token.value ' });
    await store.set('prod', credential, { allowFile: false });
    expect(await store.get('prod')).toEqual({ credential: { kind: 'marketplace', token: 'env.token.value', expires_at: undefined }, location: 'environment' });
    expect(await store.get('no-such-profile')).toMatchObject({ location: 'environment' });
    expect(await store.getStored('prod')).toEqual({ credential, location: 'keychain' });
  });
});

describe('prompt before plain text (hsp login)', () => {
  async function context(interactive: boolean) {
    const tty = interactive;
    const io = {
      stdout: Object.assign(new PassThrough(), { isTTY: tty }),
      stderr: Object.assign(new PassThrough(), { isTTY: tty }),
      stdin: Object.assign(new PassThrough(), { isTTY: tty }),
      env: {},
    };
    return createContext(io, {});
  }

  function deps(store: ChainedCredentialStore, answer: boolean, asked: string[]): AuthDeps {
    const prompts: Prompts = {
      confirm: async (message) => {
        asked.push(message);
        // Asked BEFORE anything is written.
        expect(await exists(credentialsFile(dir))).toBe(false);
        return answer;
      },
      select: async () => {
        throw new Error('not asked');
      },
      secret: async () => {
        throw new Error('not asked');
      },
      input: async () => {
        throw new Error('not asked');
      },
    };
    return { dir, store, prompts, openBrowser: async () => false, pasteAfterMs: 0, webTimeoutMs: 0, now: () => new Date() };
  }

  it('at a terminal, asks first, and writes the file only after a yes', async () => {
    const asked: string[] = [];
    const { store } = storeWith('absent');
    expect(await saveCredential(await context(true), deps(store, true, asked), 'prod', credential, false)).toBe('file');
    expect(asked).toEqual([`The token cannot be stored securely because the optional keytar module is not installed. Store it in plain text in ${credentialsFile(dir)} (readable only by you)?`]);
    expect(await store.get('prod')).toMatchObject({ location: 'file' });
  });

  it('a no writes nothing and fails', async () => {
    const asked: string[] = [];
    const { store } = storeWith('absent');
    await expect(saveCredential(await context(true), deps(store, false, asked), 'prod', credential, false)).rejects.toThrow(/not stored, so you are not signed in/);
    expect(asked).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('without a terminal, never asks: fails naming --insecure-storage and writes nothing', async () => {
    const asked: string[] = [];
    const { store } = storeWith('absent');
    const error = await rejection(saveCredential(await context(false), deps(store, true, asked), 'prod', credential, false));
    expect(error.message).toBe(`The token cannot be stored securely because the optional keytar module is not installed; pass --insecure-storage to keep it in plain text in ${credentialsFile(dir)} (readable only by you), or use HSP_TOKEN instead.`);
    expect(asked).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('--insecure-storage writes the file without asking', async () => {
    const asked: string[] = [];
    const { store } = storeWith('absent');
    expect(await saveCredential(await context(false), deps(store, false, asked), 'prod', credential, true)).toBe('file');
    expect(asked).toEqual([]);
  });
});

describe('withLock', () => {
  it('serialises two callers in one process', async () => {
    const { store } = storeWith(fakeKeychain());
    const events: string[] = [];
    const worker = (name: string) =>
      store.withLock('prod', async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push(`${name} out`);
        return name;
      });
    expect(await Promise.all([worker('a'), worker('b')])).toEqual(['a', 'b']);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(`${events[0]!.split(' ')[0]} out`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('locks per profile: another profile is not held up', async () => {
    const { store } = storeWith(fakeKeychain());
    let release!: () => void;
    const held = store.withLock('a', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(store.withLock('b', async () => 'b done')).resolves.toBe('b done');
    release();
    await held;
  });

  it('breaks a lock left by a process that died, and times out on a live one', async () => {
    const lock = join(dir, 'x.lock');
    // A pid that is not running (pids are far below this on Linux and macOS).
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 17, host: (await import('node:os')).hostname(), id: 'dead' }));
    await expect(withFileLock(lock, async () => 'got it', { pollMs: 5 })).resolves.toBe('got it');

    await writeFile(lock, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), id: 'live' }));
    const error = await rejection(withFileLock(lock, async () => 'never', { pollMs: 5, waitMs: 100 }));
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.message).toBe(`Another hsp process is holding ${lock}; try again in a moment, or delete that file if no hsp is running.`);
    // Ours to release? No: it is still the live owner's.
    expect(JSON.parse(await readFile(lock, 'utf8')).id).toBe('live');

    // Too old, whoever holds it.
    await expect(withFileLock(lock, async () => 'stale by age', { pollMs: 5, staleMs: 0 })).resolves.toBe('stale by age');
  });

  it('serialises separate processes', async () => {
    const bundle = join(dir, 'lock.mjs');
    await build({ entryPoints: [join(import.meta.dirname, '../../../src/auth/lock.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const log = join(dir, 'log.txt');
    const script = `
      import { appendFileSync } from 'node:fs';
      import { withFileLock } from ${JSON.stringify(bundle)};
      await withFileLock(${JSON.stringify(join(dir, 'shared.lock'))}, async () => {
        appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 80));
        appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
      }, { pollMs: 10 });`;
    const runs = Array.from({ length: 3 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(stderr)))));
    });
    await Promise.all(runs);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) {
      expect(lines[i]).toMatch(/^in \d+$/);
      expect(lines[i + 1]).toBe(`out ${lines[i]!.slice(3)}`);
    }
  });
});
