/**
 * The user's registry credentials, where Docker keeps them, read the way the docker CLI reads
 * them: `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`); a registry named in
 * `credHelpers` asks that helper, else `credsStore` names the helper for every registry, else
 * the `auths` entry holds them (`auth` is base64 `user:password`; `identitytoken` is an OAuth2
 * refresh token from `docker login` on registries that issue them; `registrytoken` a bearer
 * token). A helper is the program `docker-credential-<name>`, run with `get` and the registry's
 * key on stdin; it answers `{"ServerURL","Username","Secret"}`, a `Username` of `<token>`
 * making the secret an identity token.
 *
 * Secrets stay in the returned object: no message here quotes one, or the helper's output.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB_KEY, type RegistryEndpoint } from './registry-endpoint.js';
import { RegistryError } from './registry-error.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token, exchanged at the token service. */
  identityToken?: string;
  /** A bearer token for the registry itself. */
  registryToken?: string;
  /** Where they came from, for messages: `the Docker config /home/me/.docker/config.json`, `docker-credential-pass`. */
  source: string;
}

export interface CredentialOptions {
  /** `DOCKER_CONFIG`, `HOME` and `PATH` (for helpers) come from here (default: the process's). */
  env?: NodeJS.ProcessEnv;
  /** How long a credential helper may take (default 30 s). */
  helperTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A config file is a few kilobytes; more is not a Docker config. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** A helper's answer is one small JSON object. */
const MAX_HELPER_OUTPUT = 64 * 1024;
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** What helpers print when they hold nothing for the registry (docker-credential-helpers' `credentials.NotFound`). */
const NOT_FOUND = /credentials not found/i;

interface DockerConfig {
  auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown; registrytoken?: unknown }>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** The credentials for the registry, or `undefined` to go anonymous (no config, no entry, or the helper holds none). */
export async function credentialsFor(endpoint: RegistryEndpoint, options: CredentialOptions = {}): Promise<RegistryCredentials | undefined> {
  const env = options.env ?? process.env;
  const path = dockerConfigPath(env);
  const config = await readConfig(path, endpoint);
  if (!config) return undefined;

  const helper = entryFor(config.credHelpers, endpoint)?.value ?? config.credsStore;
  if (helper !== undefined && helper !== '') {
    if (typeof helper !== 'string' || !HELPER_NAME.test(helper)) {
      throw new RegistryError(endpoint.name, 'credentials', `The Docker config ${path} names a credential helper for ${endpoint.name} that is not a plain program name; fix the config.`);
    }
    return fromHelper(helper, endpoint, env, options);
  }

  const auth = entryFor(config.auths, endpoint)?.value;
  if (!auth || typeof auth !== 'object') return undefined;
  const source = `the Docker config ${path}`;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const credentials: RegistryCredentials = { source };
  const encoded = text(auth.auth);
  if (encoded) {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new RegistryError(endpoint.name, 'credentials', `The "auth" of ${endpoint.name} in ${source} is not base64 of user:password; run docker login ${loginName(endpoint)} again.`);
    credentials.username = decoded.slice(0, colon);
    credentials.password = decoded.slice(colon + 1);
  } else if (text(auth.username) && text(auth.password)) {
    credentials.username = text(auth.username);
    credentials.password = text(auth.password);
  }
  if (text(auth.identitytoken)) credentials.identityToken = text(auth.identitytoken);
  if (text(auth.registrytoken)) credentials.registryToken = text(auth.registrytoken);
  return credentials.password || credentials.identityToken || credentials.registryToken ? credentials : undefined;
}

/** What to write after `docker login` for this registry (Docker Hub needs none). */
export function loginName(endpoint: RegistryEndpoint): string {
  return endpoint.credentialKey === DOCKER_HUB_KEY ? '' : endpoint.name;
}

async function readConfig(path: string, endpoint: RegistryEndpoint): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size > MAX_CONFIG_BYTES) throw new RegistryError(endpoint.name, 'credentials', `The Docker config ${path} is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; it cannot be a Docker config.`);
      const buffer = Buffer.alloc(size);
      await file.read(buffer, 0, size, 0);
      text = buffer.toString('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new RegistryError(endpoint.name, 'credentials', `The Docker config ${path} cannot be read (${code ?? 'error'}).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistryError(endpoint.name, 'credentials', `The Docker config ${path} is not valid JSON; fix it (docker reads it too).`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RegistryError(endpoint.name, 'credentials', `The Docker config ${path} is not a JSON object; fix it (docker reads it too).`);
  }
  return parsed as DockerConfig;
}

/**
 * The entry of a map keyed by registry: the exact key, else one that is the same registry
 * written as a URL (`https://ghcr.io`, `https://index.docker.io/v1/`), as docker matches them.
 */
function entryFor<T>(map: Record<string, T> | undefined, endpoint: RegistryEndpoint): { key: string; value: T } | undefined {
  if (!map || typeof map !== 'object') return undefined;
  if (Object.hasOwn(map, endpoint.credentialKey)) return { key: endpoint.credentialKey, value: map[endpoint.credentialKey] as T };
  const wanted = hostnameOf(endpoint.credentialKey);
  const hub = endpoint.credentialKey === DOCKER_HUB_KEY;
  for (const [key, value] of Object.entries(map)) {
    const host = hostnameOf(key);
    if (host === wanted || (hub && (host === 'docker.io' || host === 'registry-1.docker.io'))) return { key, value };
  }
  return undefined;
}

/** `https://ghcr.io/v2/` → `ghcr.io` (docker's ConvertToHostname, case aside). */
function hostnameOf(key: string): string {
  return key.replace(/^https?:\/\//i, '').split('/')[0]!.toLowerCase();
}

function fromHelper(name: string, endpoint: RegistryEndpoint, env: NodeJS.ProcessEnv, options: CredentialOptions): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${name}`;
  const timeoutMs = options.helperTimeoutMs ?? 30_000;
  const fail = (why: string) => new RegistryError(endpoint.name, 'credentials', `The credential helper ${program} ${why}.`);
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      reject(fail(`could not be started (${(error as Error).message})`));
      return;
    }
    const stdout: Buffer[] = [];
    let size = 0;
    let stderrTail = '';
    let overflow = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(fail(`did not answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_HELPER_OUTPUT) {
        overflow = true;
        child.kill('SIGKILL');
      } else stdout.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') reject(fail(`is named for ${endpoint.name} in ${dockerConfigPath(env)} but is not on the PATH; install it or fix the config`));
      else if (error.name === 'AbortError') reject(error);
      else reject(fail(`could not be started (${error.code ?? error.message})`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const output = Buffer.concat(stdout).toString('utf8');
      if (overflow) return reject(fail(`printed more than ${MAX_HELPER_OUTPUT / 1024} KiB`));
      if (code !== 0) {
        // Helpers print "credentials not found in native keychain" (on stdout) when they hold nothing: go anonymous.
        if (NOT_FOUND.test(output) || NOT_FOUND.test(stderrTail)) return resolve(undefined);
        const said = firstLine(stderrTail);
        return reject(fail(`failed (exit code ${code ?? 'none'})${said ? `: ${said}` : ''}`));
      }
      let answer: { Username?: unknown; Secret?: unknown };
      try {
        answer = JSON.parse(output) as typeof answer;
      } catch {
        return reject(fail('did not answer with JSON'));
      }
      if (!answer || typeof answer !== 'object' || typeof answer.Secret !== 'string' || answer.Secret === '') return resolve(undefined);
      const username = typeof answer.Username === 'string' ? answer.Username : '';
      resolve(username === '<token>' ? { identityToken: answer.Secret, source: program } : { username, password: answer.Secret, source: program });
    });
    child.stdin!.end(endpoint.credentialKey);
  });
}

/** A helper's complaint, made fit for one sentence: one line, clipped. */
function firstLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would break the line
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
