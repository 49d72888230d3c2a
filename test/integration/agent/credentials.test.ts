/**
 * How `hsp agent listen` signs in (`agentClient`): the registered agent key first, the user's
 * token when the server refuses the key, the user's token alone without a registration.
 * Against the real marketplace, with registrations made by the real `hsp agent register`.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentClient } from '../../../src/agent/credentials.js';
import { generateAgentKeyPair, writePrivateKey } from '../../../src/agent/keys.js';
import { createContext, environmentTarget } from '../../../src/cli/context.js';
import { exitCodeFor } from '../../../src/cli/errors.js';
import type { RegisterResult } from '../../../src/cli/commands/agent/register.js';
import { hsp } from '../../helpers/cli.js';
import { json } from '../../helpers/cli-expect.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();

let operator: TestUser;
const dirs: string[] = [];
const opened: { close(): Promise<void> }[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hsp-agent-credentials-'));
  dirs.push(dir);
  return dir;
}

/** A CLI context as `hsp agent listen` gets it, with this environment. */
async function context(env: NodeJS.ProcessEnv) {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env };
  return createContext(io, {}, environmentTarget);
}

async function connect(env: NodeJS.ProcessEnv, options: { platform: string; keyFile?: string }) {
  const result = await agentClient(await context(env), options);
  opened.push(result.client);
  return result;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error('expected a failure');
  return error;
}

beforeAll(async () => {
  operator = await m.user('Orla Operator');
});

afterAll(async () => {
  await Promise.all(opened.map((client) => client.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('agentClient', () => {
  it("uses the registered agent key, which needs no user token and only reaches the agent's platform", async () => {
    const host = await tempDir();
    const registered = json<RegisterResult>(
      await hsp(['agent', 'register', '--platform', 'keyed', '--json'], { env: { HSP_URL: m.url, HSP_TOKEN: operator.token, HSP_CONFIG_DIR: host } }),
    );
    // No HSP_TOKEN, not even HSP_URL: the registration says where and who.
    const { client, platform, userId, auth } = await connect({ HSP_CONFIG_DIR: host }, { platform: 'keyed' });
    expect(auth).toBe('agent-key');
    expect(platform).toMatchObject({ id: registered.platform.id, name: 'keyed' });
    expect(userId).toBe(operator.id);
    await expect(client.instances.list(userId, platform.id).toArray()).resolves.toEqual([]);
    expect((await rejection(client.platforms.list(userId).toArray())).name).toBe('PermissionDeniedError');

    const byId = await connect({ HSP_URL: m.url, HSP_CONFIG_DIR: host }, { platform: registered.platform.id });
    expect(byId.auth).toBe('agent-key');
  });

  it("falls back to the user's token when the server refuses the key, and says so when there is none", async () => {
    const host = await tempDir();
    const env = { HSP_URL: m.url, HSP_TOKEN: operator.token, HSP_CONFIG_DIR: host };
    const registered = json<RegisterResult>(await hsp(['agent', 'register', '--platform', 'rotated', '--json'], { env }));
    await operator.client.platforms.update(operator.id, registered.platform.id, { public_key: generateAgentKeyPair().publicKeyPem });

    const fallback = await connect(env, { platform: 'rotated' });
    expect(fallback).toMatchObject({ auth: 'user-token', userId: operator.id, platform: { id: registered.platform.id } });

    const error = await rejection(connect({ HSP_URL: m.url, HSP_CONFIG_DIR: host }, { platform: 'rotated' }));
    expect(error.message).toBe(`${m.url} refused the agent key of platform "rotated", and no user is signed in: run "hsp agent register --platform rotated" again, "hsp login", or set HSP_TOKEN.`);
    expect(exitCodeFor(error)).toBe(4);
  });

  it("without a registration, uses the user's token and finds the platform by name or id", async () => {
    const host = await tempDir();
    const env = { HSP_URL: m.url, HSP_TOKEN: operator.token, HSP_CONFIG_DIR: host };
    const created = await operator.client.platforms.create(operator.id, { name: 'plain' });
    expect(await connect(env, { platform: 'plain' })).toMatchObject({ auth: 'user-token', platform: { id: created.id } });
    expect(await connect(env, { platform: created.id })).toMatchObject({ auth: 'user-token', platform: { name: 'plain' } });

    const unknown = await rejection(connect(env, { platform: 'nowhere' }));
    expect(unknown.message).toBe('You have no platform named "nowhere"; create it with "hsp agent register --platform nowhere".');
    expect(exitCodeFor(unknown)).toBe(1);

    const anonymous = await rejection(connect({ HSP_URL: m.url, HSP_CONFIG_DIR: host }, { platform: 'plain' }));
    expect(anonymous.message).toBe('You are not signed in: run "hsp login", or set HSP_TOKEN.');
    expect(exitCodeFor(anonymous)).toBe(4);

    const nowhere = await rejection(connect({ HSP_CONFIG_DIR: host }, { platform: 'plain' }));
    expect(nowhere.message).toBe('No marketplace selected: pass --url, set HSP_URL, or run "hsp login".');
    expect(exitCodeFor(nowhere)).toBe(4);
  });

  it('takes --key-file with a platform the user token resolves, and refuses a key file others can read', async () => {
    const host = await tempDir();
    const env = { HSP_URL: m.url, HSP_TOKEN: operator.token, HSP_CONFIG_DIR: host };
    const key = generateAgentKeyPair();
    const keyFile = join(host, 'provisioned.key');
    await writePrivateKey(keyFile, key);
    await operator.client.platforms.create(operator.id, { name: 'provisioned', public_key: key.publicKeyPem });

    expect(await connect(env, { platform: 'provisioned', keyFile })).toMatchObject({ auth: 'agent-key', platform: { name: 'provisioned' } });

    if (process.platform !== 'win32') {
      await chmod(keyFile, 0o644);
      const error = await rejection(connect(env, { platform: 'provisioned', keyFile }));
      expect(error.message).toBe(`The agent key ${keyFile} is accessible by others (mode 0644); run "chmod 600 ${keyFile}".`);
      expect(exitCodeFor(error)).not.toBe(0);
    }
  });
});
