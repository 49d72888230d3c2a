/**
 * `config.yaml`: the profiles (one per marketplace) and which one is current. Edited as a YAML
 * document, not as data, so that comments and layout written by hand survive `hsp config set`
 * and `hsp login`. Writes are atomic and made under a lock file, so two processes saving at
 * once cannot lose each other's change. No secrets live here (see credentials.ts).
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { writeFileAtomic } from './atomic-file.js';
import { withFileLock } from './lock.js';
import { configFile } from './paths.js';
import type { Config, Profile } from './types.js';

/** The profile fields `hsp config get|set` may touch; the others are hsp's own bookkeeping. */
export const SETTABLE_PROFILE_KEYS = ['url', 'dialect', 'platform'] as const;
export type SettableProfileKey = (typeof SETTABLE_PROFILE_KEYS)[number];

export const DIALECTS = ['r1', 'r2', 'auto'] as const;

/** Profile names become lock file names and keychain accounts: keep them tame. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PROFILE_NAME_RULE = 'a profile name is letters, digits, ".", "_" and "-" (up to 64, starting with a letter or digit)';

const HEADER = ' hsp settings: one profile per marketplace (hsp login adds them). No tokens are kept here.';

/** A config file that cannot be used as it is: names the file, and the line and column. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export class ConfigFile {
  private constructor(
    readonly path: string,
    private readonly doc: Document,
  ) {}

  /** Reads and checks the file; a missing file is an empty config. */
  static async read(path: string): Promise<ConfigFile> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`Cannot read ${path}: ${(error as Error).message}.`);
    }
    return ConfigFile.parse(path, text);
  }

  static parse(path: string, text: string): ConfigFile {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: true });
    const syntax = doc.errors[0];
    if (syntax) {
      const reason = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      const at = syntax.linePos?.[0];
      throw new ConfigError(`${path}${at ? ` line ${at.line}, column ${at.col}` : ''} is not valid YAML: ${reason}.`);
    }
    if (!text.trim()) doc.commentBefore = HEADER;
    checkShape(path, doc, lineCounter);
    return new ConfigFile(path, doc);
  }

  get config(): Config {
    const data = (this.doc.toJS() ?? {}) as { current_profile?: string; profiles?: Record<string, Omit<Profile, 'name'> | null> | null };
    const profiles: Config['profiles'] = {};
    for (const [name, fields] of Object.entries(data.profiles ?? {})) profiles[name] = { ...fields } as Omit<Profile, 'name'>;
    return { ...(data.current_profile ? { current_profile: data.current_profile } : {}), profiles };
  }

  profile(name: string): Profile | undefined {
    const fields = this.config.profiles[name];
    return fields ? { ...fields, name } : undefined;
  }

  get profiles(): Profile[] {
    return Object.entries(this.config.profiles).map(([name, fields]) => ({ ...fields, name }));
  }

  get currentProfile(): string | undefined {
    return this.config.current_profile;
  }

  /** The first profile for this marketplace (URLs compared without a trailing slash). */
  profileForUrl(url: string): Profile | undefined {
    const wanted = normalizeUrl(url);
    return this.profiles.find((p) => normalizeUrl(p.url) === wanted);
  }

  /** Sets profile fields (`undefined` removes one), creating the profile when it is new. */
  setProfile(name: string, fields: Partial<Omit<Profile, 'name'>>): void {
    this.ensureMap(['profiles']);
    this.ensureMap(['profiles', name]);
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) this.doc.deleteIn(['profiles', name, key]);
      else this.doc.setIn(['profiles', name, key], value);
    }
  }

  removeProfile(name: string): void {
    this.doc.deleteIn(['profiles', name]);
    if (this.currentProfile === name) this.doc.delete('current_profile');
  }

  setCurrentProfile(name: string | undefined): void {
    if (name === undefined) this.doc.delete('current_profile');
    else this.doc.set('current_profile', name);
  }

  toString(): string {
    return this.doc.toString();
  }

  async write(): Promise<void> {
    // Not secret, but it says who you are where: 0600 costs nothing.
    await writeFileAtomic(this.path, this.toString(), { mode: 0o600 });
  }

  /** `profiles:` with nothing after it is null, and YAML cannot set a key inside null. */
  private ensureMap(path: string[]): void {
    const node = this.doc.getIn(path, true);
    if (node === undefined || (isScalar(node) && node.value === null)) this.doc.setIn(path, this.doc.createNode({}));
  }
}

export async function loadConfig(dir: string): Promise<ConfigFile> {
  return ConfigFile.read(configFile(dir));
}

/**
 * Re-reads the file under its lock, applies `change` and writes it back atomically, so a
 * concurrent `hsp login` elsewhere is not overwritten with what this process read earlier.
 */
export async function updateConfig(dir: string, change: (config: ConfigFile) => void | Promise<void>): Promise<ConfigFile> {
  const path = configFile(dir);
  return withFileLock(`${path}.lock`, async () => {
    const config = await ConfigFile.read(path);
    await change(config);
    await config.write();
    return config;
  });
}

export function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** Checks the types hsp relies on, naming where in the file a value is wrong. */
function checkShape(path: string, doc: Document, lineCounter: LineCounter): void {
  const where = (node: Node | undefined | null) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return path;
    const { line, col } = lineCounter.linePos(offset);
    return `${path} line ${line}, column ${col}`;
  };
  const fail = (node: Node | undefined | null, what: string): never => {
    throw new ConfigError(`${where(node)}: ${what}.`);
  };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return;
  if (!isMap(root)) fail(root, 'the file must be a mapping of settings (current_profile, profiles)');
  const current = doc.get('current_profile', true) as Node | undefined;
  if (current !== undefined && !(isScalar(current) && (typeof current.value === 'string' || current.value === null))) fail(current, 'current_profile must be a profile name');
  const profiles = doc.get('profiles', true) as Node | undefined;
  if (profiles === undefined || (isScalar(profiles) && profiles.value === null)) return;
  if (!isMap(profiles)) return fail(profiles, 'profiles must be a mapping of profile names to settings');
  for (const pair of profiles.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const body = pair.value as Node | null;
    if (body === null || (isScalar(body) && body.value === null)) fail((pair.key as Node) ?? body, `profile "${name}" has no settings (it needs at least a url)`);
    if (!isMap(body)) return fail(body, `profile "${name}" must be a mapping of settings`);
    for (const field of body.items) {
      const key = isScalar(field.key) ? String(field.key.value) : '';
      const value = field.value as Node | null;
      const scalar = isScalar(value) ? value.value : undefined;
      const label = `profiles.${name}.${key}`;
      if (key === 'url' && !(typeof scalar === 'string' && /^https?:\/\/\S+$/.test(scalar))) fail(value ?? (field.key as Node), `${label} must be an http:// or https:// URL`);
      if (key === 'dialect' && !(DIALECTS as readonly unknown[]).includes(scalar)) fail(value ?? (field.key as Node), `${label} must be r1, r2 or auto`);
      if (['user_id', 'user_name', 'platform'].includes(key) && typeof scalar !== 'string') fail(value ?? (field.key as Node), `${label} must be text`);
    }
    if (!body.has('url')) fail(pair.key as Node, `profile "${name}" has no url`);
  }
}
