/**
 * `hsp agent register` end to end: the real CLI in-process against the real marketplace, each
 * "host" a temporary config directory (HSP_CONFIG_DIR), signed in through HSP_TOKEN.
 */
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegistration } from '../../../src/agent/identity.js';
import { isSamePublicKey, readPrivateKey } from '../../../src/agent/keys.js';
import type { RegisterResult } from '../../../src/cli/commands/agent/register.js';
import type { Platform } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const posix = process.platform !== 'win32';

let operator: TestUser;
const hosts: string[] = [];

async function newHost(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hsp-agent-host-'));
  hosts.push(dir);
  return dir;
}

const on = (dir: string, token = operator.token) => ({ env: { HSP_URL: m.url, HSP_TOKEN: token, HSP_CONFIG_DIR: dir } });

async function platformNamed(name: string): Promise<Platform | undefined> {
  return (await operator.client.platforms.list(operator.id).toArray()).find((p) => p.name === name);
}

beforeAll(async () => {
  operator = await m.user('Otto Operator');
});

afterAll(async () => {
  await Promise.all(hosts.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('hsp agent register', () => {
  it('creates the platform, writes a 0600 key and the registration, and puts the public key on the platform', async () => {
    const host = await newHost();
    const run = ok(await hsp(['agent', 'register', '--platform', 'new-host'], on(host)));
    const platform = await platformNamed('new-host');
    expect(platform).toBeDefined();
    const keyFile = join(host, 'agents', `${platform!.id}.key`);
    expect(run.stderr).toBe(`✓ Created platform new-host, with this host as its agent\nNext: hsp agent listen --platform new-host\n`);
    expect(run.stdout).toBe(`platform\tnew-host\nid\t${platform!.id}\nkey file\t${keyFile}\n`);

    if (posix) expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = await readPrivateKey(keyFile);
    expect(isSamePublicKey(platform!.public_key, key.publicKeyPem)).toBe(true);
    expect(createPublicKey(platform!.public_key!).asymmetricKeyType).toBe('ed25519');

    const registration = await loadRegistration(host, platform!.id);
    expect(registration).toEqual({
      url: m.url,
      platform_id: platform!.id,
      platform_name: 'new-host',
      user_id: operator.id,
      key_file: keyFile,
      registered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const text = await readFile(join(host, 'agents', `${platform!.id}.yaml`), 'utf8');
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(operator.token);

    // Again on the same host: nothing to replace, the same key is kept.
    const again = json<RegisterResult>(await hsp(['agent', 'register', '--platform', 'new-host', '--json'], on(host)));
    expect(again).toMatchObject({ created_platform: false, new_key: false, key_file: keyFile });
    expect(await readPrivateKey(keyFile)).toMatchObject({ publicKeyPem: key.publicKeyPem });

    // Moving this host's key elsewhere replaces its own key: no --force needed.
    const moved = join(host, 'elsewhere', 'agent.key');
    const relocated = json<RegisterResult>(await hsp(['agent', 'register', '--platform', 'new-host', '--key-file', moved, '--json'], on(host)));
    expect(relocated).toMatchObject({ new_key: true, key_file: moved });
    expect(isSamePublicKey((await platformNamed('new-host'))!.public_key, (await readPrivateKey(moved)).publicKeyPem)).toBe(true);
    expect((await loadRegistration(host, platform!.id))?.key_file).toBe(moved);
  });

  it('refuses to take over a platform that has another agent key without --force, leaving nothing behind', async () => {
    const first = await newHost();
    ok(await hsp(['agent', 'register', '--platform', 'shared-host'], on(first)));
    const before = (await platformNamed('shared-host'))!;

    const second = await newHost();
    const refused = await hsp(['agent', 'register', '--platform', 'shared-host'], on(second));
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'Platform "shared-host" already has another agent\'s key; pass --force to replace it (that agent then stops working).\n' });
    expect(await readdir(second)).toEqual([]);
    expect((await platformNamed('shared-host'))!.public_key).toBe(before.public_key);

    const forced = json<RegisterResult>(await hsp(['agent', 'register', '--platform', 'shared-host', '--force', '--json'], on(second)));
    expect(forced).toMatchObject({ created_platform: false, new_key: true, platform: { id: before.id, name: 'shared-host', user_id: operator.id } });
    const after = (await platformNamed('shared-host'))!;
    expect(isSamePublicKey(after.public_key, (await readPrivateKey(forced.key_file)).publicKeyPem)).toBe(true);
    expect(after.public_key).not.toBe(before.public_key);
  });

  it('prints an object with --json, and takes the platform by id and the key file from --key-file', async () => {
    const created = await operator.client.platforms.create(operator.id, { name: 'by-id' });
    const host = await newHost();
    const keyFile = join(host, 'keys', 'agent.key');
    const result = json<RegisterResult>(await hsp(['agent', 'register', '--platform', created.id, '--key-file', keyFile, '--json'], on(host)));
    expect(result).toEqual({
      platform: { id: created.id, name: 'by-id', user_id: operator.id },
      url: m.url,
      key_file: keyFile,
      registration_file: join(host, 'agents', `${created.id}.yaml`),
      created_platform: false,
      new_key: true,
      next: 'hsp agent listen --platform by-id',
    });
    if (posix) expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await loadRegistration(host, created.id))?.key_file).toBe(keyFile);
  });

  it("never overwrites a key file that is not the platform's registered one", async () => {
    const host = await newHost();
    const keyFile = join(host, 'precious.key');
    await writeFile(keyFile, 'somebody else’s key\n', { mode: 0o600 });
    const run = await hsp(['agent', 'register', '--platform', 'careful-host', '--key-file', keyFile], on(host));
    expect(run).toMatchObject({ code: 1, stderr: `${keyFile} already exists and is not this platform's registered key; choose another --key-file, or remove it.\n` });
    expect(await readFile(keyFile, 'utf8')).toBe('somebody else’s key\n');
    expect(await platformNamed('careful-host')).toBeUndefined();
  });

  it('removes the new key and registration when the marketplace refuses the platform', async () => {
    await m.server.db.query(`ALTER TABLE platforms ADD CONSTRAINT platforms_name_not_doomed CHECK (name <> 'doomed-host')`);
    try {
      const host = await newHost();
      const run = await hsp(['agent', 'register', '--platform', 'doomed-host'], on(host));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^POST \/users\/[0-9a-f-]{36}\/platforms failed with HTTP 422 \(validation failed\): name is not allowed\.\n$/);
      expect(await readdir(join(host, 'agents'))).toEqual([]);
    } finally {
      await m.server.db.query('ALTER TABLE platforms DROP CONSTRAINT platforms_name_not_doomed');
    }
  });

  it('explains an unknown platform id, and needs a signed-in user (exit 4)', async () => {
    const host = await newHost();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const run = await hsp(['agent', 'register', '--platform', unknown], on(host));
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `You have no platform with id ${unknown}; pass a name to create one.\n` });
    const anonymous = await hsp(['agent', 'register', '--platform', 'x'], { env: { HSP_URL: m.url, HSP_CONFIG_DIR: host } });
    expect(anonymous).toMatchObject({ code: 4, stderr: 'You are not signed in: run "hsp login", or set HSP_TOKEN.\n' });
    expect(await readdir(host)).toEqual([]);
  });
});
