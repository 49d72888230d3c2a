/** The agent's key pair on disk: 0600 PKCS#8 PEM written atomically, read back with care. */
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentKeyError, generateAgentKeyPair, isSamePublicKey, publicKeyPemOf, readPrivateKey, writePrivateKey } from '../../../src/agent/keys.js';
import { onPosix } from '../../helpers/skips.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';

describe('agent keys', () => {
  it('generates an Ed25519 pair: PKCS#8 private PEM, SPKI public PEM', () => {
    const pair = generateAgentKeyPair();
    expect(pair.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(publicKeyPemOf(pair.privateKey)).toBe(pair.publicKeyPem);
    expect(generateAgentKeyPair().publicKeyPem).not.toBe(pair.publicKeyPem);
  });

  it('writes the private key with mode 0600 into a 0700 directory, leaving no temporary file, and reads it back', async () => {
    const pair = generateAgentKeyPair();
    const path = join(dir, 'agents', 'platform.key');
    await writePrivateKey(path, pair);
    if (posix) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'agents'))).mode & 0o777).toBe(0o700);
    }
    expect(await readdir(join(dir, 'agents'))).toEqual(['platform.key']);
    expect(await readFile(path, 'utf8')).toBe(pair.privateKeyPem);

    const read = await readPrivateKey(path);
    expect(read.publicKeyPem).toBe(pair.publicKeyPem);
    expect(read.privateKey.asymmetricKeyType).toBe('ed25519');
  });

  onPosix.it('refuses a key that the group or others can read, naming the mode and the fix', async () => {
    const path = join(dir, 'agent.key');
    await writePrivateKey(path, generateAgentKeyPair());
    await chmod(path, 0o644);
    await expect(readPrivateKey(path)).rejects.toThrow(new AgentKeyError(`The agent key ${path} is accessible by others (mode 0644); run "chmod 600 ${path}".`));
    await chmod(path, 0o620);
    await expect(readPrivateKey(path)).rejects.toThrow(/is accessible by others \(mode 0620\)/);
    await chmod(path, 0o400);
    await expect(readPrivateKey(path)).resolves.toBeDefined();
  });

  it('explains a missing file, a directory, text that is not a key, and a key of another kind', async () => {
    const missing = join(dir, 'nope.key');
    await expect(readPrivateKey(missing)).rejects.toThrow(`The agent key ${missing} does not exist; run "hsp agent register" first, or pass --key-file.`);

    const folder = join(dir, 'folder.key');
    await mkdir(folder, { mode: 0o700 });
    await expect(readPrivateKey(folder)).rejects.toThrow(`The agent key ${folder} is not a file.`);

    const garbage = join(dir, 'garbage.key');
    await writeFile(garbage, 'hello, I am not a key\n', { mode: 0o600 });
    await expect(readPrivateKey(garbage)).rejects.toThrow(`The agent key ${garbage} is not a private key in PEM form.`);

    const rsa = join(dir, 'rsa.key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(rsa, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    await expect(readPrivateKey(rsa)).rejects.toThrow(`The agent key ${rsa} is a rsa key; agent keys are Ed25519 (let "hsp agent register" make one).`);

    const huge = join(dir, 'huge.key');
    await writeFile(huge, 'x'.repeat(200_000), { mode: 0o600 });
    await expect(readPrivateKey(huge)).rejects.toThrow(/is not a private key \(it is far too large\)/);
  });

  it('says where a key cannot be written, with one sentence', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    const path = join(blocker, 'agent.key');
    await expect(writePrivateKey(path, generateAgentKeyPair())).rejects.toThrow(/^Cannot write the agent key .*agent\.key \(.+\)\.$/);
  });

  it('compares public keys as keys, not as text', () => {
    const pair = generateAgentKeyPair();
    const rewrapped = pair.publicKeyPem.replace(/\n/g, '\r\n');
    expect(isSamePublicKey(rewrapped, pair.publicKeyPem)).toBe(true);
    expect(isSamePublicKey(generateAgentKeyPair().publicKeyPem, pair.publicKeyPem)).toBe(false);
    expect(isSamePublicKey('ssh-ed25519 AAAA someone', pair.publicKeyPem)).toBe(false);
    expect(isSamePublicKey(null, pair.publicKeyPem)).toBe(false);
    expect(isSamePublicKey('', pair.publicKeyPem)).toBe(false);
  });
});
