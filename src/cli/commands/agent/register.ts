/**
 * `hsp agent register --platform NAME|ID [--key-file FILE] [--force]`: makes this host the
 * platform's agent. Finds the signed-in user's platform (or creates it with that name), makes
 * an Ed25519 key (or keeps the one this host already registered), puts the public key on the
 * platform and writes the registration `hsp agent listen` reads.
 *
 * All or nothing: the key file and registration are written first and put back as they were
 * when the marketplace refuses the public key, so a failed run leaves no key nobody knows.
 */
import { randomUUID } from 'node:crypto';
import { lstat, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { findOwnPlatform, signedInUser } from '../../../agent/credentials.js';
import { defaultKeyFile, loadRegistration, removeRegistration, saveRegistration, type AgentRegistration } from '../../../agent/identity.js';
import { generateAgentKeyPair, isSamePublicKey, readPrivateKey, writePrivateKey, type AgentKeyPair } from '../../../agent/keys.js';
import { configDir } from '../../../auth/paths.js';
import type { Marketplace, Platform } from '../../../index.js';
import type { CliContext } from '../../context.js';
import { FailureError, UsageError } from '../../errors.js';

export interface RegisterOptions {
  platform: string;
  keyFile?: string;
  force?: boolean;
}

/** What `--json` prints. */
export interface RegisterResult {
  platform: { id: string; name: string; user_id: string };
  url: string;
  key_file: string;
  registration_file: string;
  /** The platform did not exist and was created. */
  created_platform: boolean;
  /** A new key pair was made (rather than this host's registered one kept). */
  new_key: boolean;
  next: string;
}

export async function registerAgent(ctx: CliContext, opts: Record<string, unknown>): Promise<void> {
  const options = registerOptions(opts);
  const client = await ctx.signedInClient();
  const userId = await signedInUser(client);
  const dir = configDir(ctx.io.env);

  const existing = await findOwnPlatform(client, userId, options.platform);
  if (!existing && isUuid(options.platform)) throw new FailureError(`You have no platform with id ${options.platform}; pass a name to create one.`);
  const platformId = existing?.id ?? randomUUID();
  const platformName = existing?.name ?? options.platform;

  const previous = await ownRegistration(dir, platformId, client.baseUrl);
  const keyFile = options.keyFile !== undefined ? resolve(options.keyFile) : (previous?.key_file ?? defaultKeyFile(dir, platformId));
  const kept = await keptKey(keyFile, previous);
  // Moving to another --key-file replaces this host's own registered key: no --force needed.
  const registered = kept ?? (previous ? await readPrivateKey(previous.key_file).catch(() => undefined) : undefined);

  if (existing?.public_key?.trim() && !(registered && isSamePublicKey(existing.public_key, registered.publicKeyPem)) && !options.force) {
    throw new FailureError(`Platform "${platformName}" already has another agent's key; pass --force to replace it (that agent then stops working).`);
  }

  const key = kept ?? generateAgentKeyPair();
  if (!kept) await writePrivateKey(keyFile, key);
  const registration: AgentRegistration = {
    url: client.baseUrl,
    platform_id: platformId,
    platform_name: platformName,
    user_id: existing?.user_id ?? userId,
    key_file: keyFile,
    registered_at: new Date().toISOString(),
  };
  let registrationFile: string;
  let platform: Platform;
  try {
    registrationFile = await saveRegistration(dir, registration);
    platform = await storePublicKey(client, userId, existing, platformId, platformName, key);
  } catch (error) {
    await undo(dir, platformId, previous, kept ? undefined : keyFile);
    throw error;
  }

  const result: RegisterResult = {
    platform: { id: platform.id, name: platform.name, user_id: platform.user_id },
    url: client.baseUrl,
    key_file: keyFile,
    registration_file: registrationFile,
    created_platform: !existing,
    new_key: !kept,
    next: `hsp agent listen --platform ${shellWord(platform.name)}`,
  };
  if (ctx.output.machine) return ctx.output.data(result);
  ctx.output.success(`${existing ? 'This host is now the agent of' : 'Created platform'} ${platform.name}${existing ? '' : ', with this host as its agent'}`);
  await ctx.output.record(result, [
    { header: 'platform', value: (r) => r.platform.name },
    { header: 'id', value: (r) => r.platform.id, kind: 'id' },
    { header: 'key file', value: (r) => r.key_file },
  ]);
  ctx.output.notice(`Next: ${result.next}`);
}

function registerOptions(opts: Record<string, unknown>): RegisterOptions {
  const platform = typeof opts.platform === 'string' ? opts.platform.trim() : '';
  if (!platform) throw new UsageError('--platform must name a platform (its name or id).');
  if (opts.keyFile !== undefined && (typeof opts.keyFile !== 'string' || !opts.keyFile.trim())) throw new UsageError('--key-file must name a file.');
  return { platform, keyFile: opts.keyFile as string | undefined, force: opts.force === true };
}

/** This host's registration of the platform on this marketplace, if any. */
async function ownRegistration(dir: string, platformId: string, url: string): Promise<AgentRegistration | undefined> {
  const registration = await loadRegistration(dir, platformId);
  return registration?.url === url.replace(/\/+$/, '') ? registration : undefined;
}

/**
 * The key to keep: the registered key file, re-registered. Any other file already at that path
 * is somebody's, and is never overwritten.
 */
async function keptKey(keyFile: string, previous: AgentRegistration | undefined): Promise<AgentKeyPair | undefined> {
  const present = await lstat(keyFile).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  if (!present) return undefined;
  if (previous?.key_file !== keyFile) throw new FailureError(`${keyFile} already exists and is not this platform's registered key; choose another --key-file, or remove it.`);
  return readPrivateKey(keyFile);
}

async function storePublicKey(client: Marketplace, userId: string, existing: Platform | undefined, platformId: string, name: string, key: AgentKeyPair): Promise<Platform> {
  if (!existing) return client.platforms.create(userId, { id: platformId, name, public_key: key.publicKeyPem });
  if (isSamePublicKey(existing.public_key, key.publicKeyPem)) return existing;
  return client.platforms.update(existing.user_id, existing.id, { public_key: key.publicKeyPem });
}

/** Puts the host back as it was: the previous registration (or none), and no new key file. */
async function undo(dir: string, platformId: string, previous: AgentRegistration | undefined, newKeyFile: string | undefined): Promise<void> {
  await (previous ? saveRegistration(dir, previous) : removeRegistration(dir, platformId)).catch(() => undefined);
  if (newKeyFile) await unlink(newKeyFile).catch(() => undefined);
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A name as one shell word, for the command we suggest. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9._:/@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
