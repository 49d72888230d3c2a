/**
 * What `hsp agent register` leaves for `hsp agent listen`: one small YAML file per platform,
 * `<config>/agents/<platform-id>.yaml`, naming the marketplace, the platform, its owner and
 * where the private key is. No secrets: the key itself lives in its own 0600 file.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import { writeFileAtomic } from '../auth/atomic-file.js';
import { normalizeUrl } from '../auth/config.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEADER = ' hsp agent: this host is the agent of a platform (written by "hsp agent register"). No secrets here.';

export interface AgentRegistration {
  /** The marketplace, without a trailing slash. */
  url: string;
  platform_id: string;
  platform_name: string;
  /** The platform's owner: the subject of the agent's tokens. */
  user_id: string;
  /** Absolute path of the private key file. */
  key_file: string;
  /** ISO 8601. */
  registered_at: string;
}

/** A registration file that cannot be used: one sentence naming the file, line and field. */
export class RegistrationError extends Error {
  override name = 'RegistrationError';
}

export function agentsDir(configDir: string): string {
  return join(configDir, 'agents');
}

/** Platform ids are checked UUIDs before they become file names: nothing else reaches a path. */
export function registrationFile(configDir: string, platformId: string): string {
  return join(agentsDir(configDir), `${checkedId(platformId)}.yaml`);
}

/** Where `register` keeps the private key unless told otherwise. */
export function defaultKeyFile(configDir: string, platformId: string): string {
  return join(agentsDir(configDir), `${checkedId(platformId)}.key`);
}

export async function saveRegistration(configDir: string, registration: AgentRegistration): Promise<string> {
  const path = registrationFile(configDir, registration.platform_id);
  const body = { ...registration, url: normalizeUrl(registration.url), platform_id: registration.platform_id.toLowerCase() };
  await writeFileAtomic(path, `#${HEADER}\n${stringify(body)}`, { mode: 0o600 });
  return path;
}

export async function removeRegistration(configDir: string, platformId: string): Promise<void> {
  await unlink(registrationFile(configDir, platformId)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** The registration of this platform id, or undefined when there is none. */
export async function loadRegistration(configDir: string, platformId: string): Promise<AgentRegistration | undefined> {
  const path = registrationFile(configDir, platformId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegistrationError(`Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`);
  }
  const registration = parseRegistration(path, text);
  if (registration.platform_id !== platformId.toLowerCase()) {
    throw new RegistrationError(`${path}: platform_id is ${registration.platform_id}, but the file is named for ${platformId}.`);
  }
  return registration;
}

/** Every registration in the config directory, optionally only those for one marketplace. */
export async function loadRegistrations(configDir: string, url?: string): Promise<AgentRegistration[]> {
  let names: string[];
  try {
    names = await readdir(agentsDir(configDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: AgentRegistration[] = [];
  for (const name of names.sort()) {
    const id = /^(.+)\.yaml$/.exec(name)?.[1];
    if (!id || !UUID.test(id)) continue;
    const registration = await loadRegistration(configDir, id);
    if (registration && (url === undefined || registration.url === normalizeUrl(url))) found.push(registration);
  }
  return found;
}

/**
 * The registration `--platform NAME|ID` means, for this marketplace (or for any, when no
 * marketplace is selected). A name must be unique among those registrations.
 */
export async function findRegistration(configDir: string, platform: string, url?: string): Promise<AgentRegistration | undefined> {
  if (UUID.test(platform)) {
    const registration = await loadRegistration(configDir, platform);
    return registration && (url === undefined || registration.url === normalizeUrl(url)) ? registration : undefined;
  }
  const named = (await loadRegistrations(configDir, url)).filter((r) => r.platform_name === platform);
  if (named.length > 1) {
    const where = url === undefined ? 'on several marketplaces' : `on ${normalizeUrl(url)}`;
    throw new RegistrationError(`This host is the agent of several platforms named "${platform}" ${where}; use the platform id (or --url).`);
  }
  return named[0];
}

export function parseRegistration(path: string, text: string): AgentRegistration {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const where = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    return offset === undefined ? path : `${path} line ${lineCounter.linePos(offset).line}`;
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new RegistrationError(`${line ? `${path} line ${line}` : path} is not valid YAML: ${syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}.`);
  }
  const root = doc.contents;
  if (!isMap(root)) throw new RegistrationError(`${where(root)}: an agent registration must be a mapping (url, platform_id, …).`);

  const field = (name: keyof AgentRegistration, valid: (value: string) => boolean, rule: string): string => {
    const node = doc.get(name, true) as Node | undefined;
    if (node === undefined) throw new RegistrationError(`${path}: ${name} is missing; run "hsp agent register" again.`);
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'string' || !valid(value)) throw new RegistrationError(`${where(node)}: ${name} must be ${rule}.`);
    return value;
  };
  return {
    url: normalizeUrl(field('url', (v) => /^https?:\/\/\S+$/.test(v), 'an http:// or https:// URL')),
    platform_id: field('platform_id', (v) => UUID.test(v), 'a UUID').toLowerCase(),
    platform_name: field('platform_name', (v) => v.trim() !== '', 'the platform name'),
    user_id: field('user_id', (v) => UUID.test(v), 'a UUID').toLowerCase(),
    key_file: field('key_file', (v) => v.trim() !== '', 'the path of the private key file'),
    registered_at: field('registered_at', (v) => !Number.isNaN(Date.parse(v)), 'an ISO 8601 time'),
  };
}

function checkedId(platformId: string): string {
  if (!UUID.test(platformId)) throw new RegistrationError(`"${platformId}" is not a platform id (a UUID).`);
  return platformId.toLowerCase();
}
