/**
 * The platform agent's key pair: Ed25519, the private key as a PKCS#8 PEM file only its owner
 * can read (like an ssh key), the public key as SPKI PEM for the platform's `public_key`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '../auth/atomic-file.js';

/** A key file is a few hundred bytes; anything far larger is not one (and is not read whole). */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** A key file that cannot be used: the message is one sentence naming the file. */
export class AgentKeyError extends Error {
  override name = 'AgentKeyError';
}

export interface AgentKeyPair {
  privateKey: KeyObject;
  /** PKCS#8 PEM: what goes into the key file. */
  privateKeyPem: string;
  /** SPKI PEM: what goes into the platform's `public_key`. */
  publicKeyPem: string;
}

export function generateAgentKeyPair(): AgentKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKeyPemOf(privateKey),
  };
}

/** The SPKI PEM of a private key's public half. */
export function publicKeyPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
}

/**
 * Writes the private key with mode 0600 from its first byte (the temporary file is created
 * with it), atomically: a crash leaves the old file or the new one, never half a key.
 */
export async function writePrivateKey(path: string, pair: AgentKeyPair): Promise<void> {
  try {
    await writeFileAtomic(path, pair.privateKeyPem, { mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of the path is not a directory' : (code ?? 'unknown error');
    throw new AgentKeyError(`Cannot write the agent key ${path} (${reason}).`);
  }
}

/**
 * Reads an agent's private key back. Refuses, as ssh does, a key file that the group or
 * others may read or write: a key that others could have copied no longer proves anything.
 */
export async function readPrivateKey(path: string): Promise<AgentKeyPair> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      // fstat on the opened file: the checked file is the one read, even if the path is swapped.
      const info = await handle.stat();
      if (!info.isFile()) throw new AgentKeyError(`The agent key ${path} is not a file.`);
      if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
        const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
        throw new AgentKeyError(`The agent key ${path} is accessible by others (mode ${mode}); run "chmod 600 ${path}".`);
      }
      if (info.size > MAX_KEY_FILE_BYTES) throw new AgentKeyError(`The agent key ${path} is not a private key (it is far too large).`);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof AgentKeyError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AgentKeyError(`The agent key ${path} does not exist; run "hsp agent register" first, or pass --key-file.`);
    if (code === 'EACCES' || code === 'EPERM') throw new AgentKeyError(`The agent key ${path} cannot be read by this user.`);
    if (code === 'EISDIR') throw new AgentKeyError(`The agent key ${path} is not a file.`);
    throw new AgentKeyError(`The agent key ${path} cannot be read (${code ?? 'unknown error'}).`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new AgentKeyError(`The agent key ${path} is not a private key in PEM form.`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AgentKeyError(`The agent key ${path} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; agent keys are Ed25519 (let "hsp agent register" make one).`);
  }
  return { privateKey, privateKeyPem: text, publicKeyPem: publicKeyPemOf(privateKey) };
}

/**
 * Whether a platform's `public_key` text is this public key. Compared as keys, not as text:
 * line endings or a PEM re-wrapped by some tool must not read as "another agent's key".
 */
export function isSamePublicKey(stored: string | null | undefined, publicKeyPem: string): boolean {
  if (!stored?.trim()) return false;
  try {
    const a = createPublicKey(stored).export({ type: 'spki', format: 'der' });
    const b = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
    return a.equals(b);
  } catch {
    // Not a PEM public key at all (e.g. an OpenSSH line someone pasted): not ours.
    return false;
  }
}
