/**
 * A small client of the Docker Engine API: only the calls the docker orchestrator makes, over
 * the Engine's unix socket (or TCP) with undici. The API version is negotiated once, then every
 * path carries it (`/v1.45/containers/json`), so the Engine answers in the shapes this file
 * was written against.
 */
import { Client, Pool, type Dispatcher } from 'undici';
import { InvalidArgumentError } from '../../sdk/errors.js';
import { OrchestratorError, oneLine } from './orchestrator-error.js';

/** The oldest Engine API this client speaks (Docker 20.10). */
export const MINIMUM_API_VERSION = '1.41';
/** The newest it knows: a newer Engine is asked to speak this one. */
export const NEWEST_API_VERSION = '1.45';

export interface EngineEndpoint {
  /** What the user gave, for messages. */
  host: string;
  /** `http://host:port`, or `http://localhost` over a unix socket. */
  origin: string;
  socketPath?: string;
}

/** `unix:///var/run/docker.sock`, `tcp://host:2375` or `http://host:2375`; anything else is refused. */
export function parseDockerHost(host: string): EngineEndpoint {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new InvalidArgumentError('--docker-host', `The Docker host ${JSON.stringify(host)} must name an absolute socket path, as in unix:///var/run/docker.sock.`);
    return { host, origin: 'http://localhost', socketPath };
  }
  const match = /^(?:tcp|http):\/\/([^/?#@\s]+)\/?$/.exec(host);
  if (match) return { host, origin: `http://${match[1]}` };
  throw new InvalidArgumentError('--docker-host', `The Docker host ${JSON.stringify(host)} is not unix:///path/to/docker.sock, tcp://host:port or http://host:port.`);
}

/** The fields of `GET /containers/json` items this client reads. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Labels: Record<string, string> | null;
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
  State: string;
  Status: string;
  /** The networks it is attached to, by name. */
  NetworkSettings?: { Networks?: Record<string, EndpointSettings | null> | null } | null;
}

/** A container's attachment to one network (the fields read). */
export interface EndpointSettings {
  NetworkID?: string;
  /** The names other containers of the network reach it by (its short id is among them on some Engines). */
  Aliases?: string[] | null;
}

/** The fields of `GET /networks` items this client reads. */
export interface NetworkSummary {
  Id: string;
  Name: string;
  /** RFC 3339 with nanoseconds, e.g. `2024-01-01T00:00:00.123456789Z`. */
  Created: string;
  Driver: string;
  Labels: Record<string, string> | null;
}

/** One line of `GET /events` (the fields read). */
export interface EngineEvent {
  /** `container`, `image`, `network`, … */
  Type?: string;
  /** `die`, `destroy`, `start`, … */
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** The fields of `GET /containers/{id}/json` this client reads. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean };
  Config: { Image: string; Labels: Record<string, string> | null };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null; Networks?: Record<string, EndpointSettings | null> | null };
}

/** The body of `POST /containers/create`: the container config with its HostConfig. */
export interface ContainerCreateBody {
  Image: string;
  Env: string[];
  Cmd?: string[];
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
  StopTimeout: number;
  HostConfig: {
    Memory?: number;
    /** The user-defined network the container starts on (by name). */
    NetworkMode: string;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    RestartPolicy: { Name: 'unless-stopped' };
  };
  /** Its endpoint on that network: the aliases other containers reach it by. */
  NetworkingConfig: { EndpointsConfig: Record<string, { Aliases?: string[] }> };
}

interface EngineResponse {
  status: number;
  body: unknown;
}

type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * Connections to the Engine at once. One would serialise the agent's concurrent deploys behind
 * each other's pulls (a pull holds its connection while the Engine streams progress).
 */
const CONNECTIONS = 16;

export class DockerEngine {
  private constructor(
    private readonly client: Dispatcher,
    readonly endpoint: EngineEndpoint,
    /** The negotiated version, e.g. `1.45`. */
    readonly apiVersion: string,
  ) {}

  /** Connects and negotiates the API version; refuses an Engine older than 1.41 with a sentence. */
  static async connect(host: string, signal?: AbortSignal): Promise<DockerEngine> {
    const endpoint = parseDockerHost(host);
    const client = new Pool(endpoint.origin, { connections: CONNECTIONS, ...(endpoint.socketPath ? { socketPath: endpoint.socketPath } : {}) });
    try {
      const { status, body } = await send(client, endpoint, 'GET', '/version', { signal }, 'ask its version');
      const version = body as { ApiVersion?: unknown; MinAPIVersion?: unknown } | null;
      if (status !== 200 || typeof version?.ApiVersion !== 'string' || !isApiVersion(version.ApiVersion)) {
        throw new OrchestratorError(`${endpoint.host} did not answer GET /version like a Docker Engine (HTTP ${status}).`);
      }
      if (compareVersions(version.ApiVersion, MINIMUM_API_VERSION) < 0) {
        throw new OrchestratorError(`The Docker Engine at ${endpoint.host} speaks API ${version.ApiVersion}; the agent needs ${MINIMUM_API_VERSION} or later (Docker 20.10+).`);
      }
      let chosen = compareVersions(version.ApiVersion, NEWEST_API_VERSION) < 0 ? version.ApiVersion : NEWEST_API_VERSION;
      // An Engine that dropped the version chosen still speaks its own minimum; the calls used here have not changed.
      if (typeof version.MinAPIVersion === 'string' && isApiVersion(version.MinAPIVersion) && compareVersions(version.MinAPIVersion, chosen) > 0) {
        chosen = version.MinAPIVersion;
      }
      return new DockerEngine(client, endpoint, chosen);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Containers (running or not) carrying every one of the labels (`key=value`). */
  async listContainers(labels: string[], signal?: AbortSignal): Promise<ContainerSummary[]> {
    const query = new URLSearchParams({ all: 'true', filters: JSON.stringify({ label: labels }) });
    const { body } = await this.call('GET', `/containers/json?${query}`, 'list containers', [200], { signal });
    if (!Array.isArray(body)) throw new OrchestratorError(`${this.endpoint.host} answered the container list with something that is not a list.`);
    return body as ContainerSummary[];
  }

  /**
   * Pulls `name` at `tagOrDigest`. The Engine answers 200 at once and then streams JSON progress
   * lines; a failure arrives as an `error`/`errorDetail` line, so the stream is read to its end.
   */
  async pullImage(name: string, tagOrDigest: string, signal?: AbortSignal): Promise<void> {
    const query = new URLSearchParams({ fromImage: name, tag: tagOrDigest });
    const what = `pull ${name}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`;
    const response = await this.open('POST', `/images/create?${query}`, what, { signal });
    if (response.statusCode !== 200) {
      const text = await readCapped(response.body);
      throw engineError(what, response.statusCode, text);
    }
    let failure: string | undefined;
    // A progress line that is not JSON says nothing about success; the final lines decide.
    await readJsonLines(response.body, (line) => {
      if (failure !== undefined) return;
      const progress = line as { error?: unknown; errorDetail?: { message?: unknown } } | null;
      const message = progress?.errorDetail?.message ?? progress?.error;
      if (message !== undefined) failure = typeof message === 'string' ? message : JSON.stringify(message);
    });
    if (failure !== undefined) throw new OrchestratorError(`Docker could not ${what}: ${sentence(failure)}`);
  }

  /**
   * Streams the Engine's events matching `filters` (`GET /events`) to `onEvent`, calling
   * `onConnected` once the Engine has accepted the request. Resolves when the Engine ends the
   * stream (it restarted) or the signal aborts. On a connection of its own: the stream never
   * ends by itself, and would hold one of the pool's for good.
   */
  async streamEvents(filters: Record<string, string[]>, handlers: { onConnected: () => void; onEvent: (event: EngineEvent) => void }, signal: AbortSignal): Promise<void> {
    const client = new Client(this.endpoint.origin, this.endpoint.socketPath ? { socketPath: this.endpoint.socketPath, bodyTimeout: 0 } : { bodyTimeout: 0 });
    try {
      const what = 'watch its events';
      const path = `/v${this.apiVersion}/events?${new URLSearchParams({ filters: JSON.stringify(filters) })}`;
      let response;
      try {
        response = await client.request({ method: 'GET', path, headers: { accept: 'application/json' }, signal });
      } catch (error) {
        throw connectionError(this.endpoint, error, signal, what);
      }
      if (response.statusCode !== 200) throw engineError(what, response.statusCode, await readCapped(response.body));
      handlers.onConnected();
      try {
        await readJsonLines(response.body, (line) => {
          if (line !== null && typeof line === 'object') handlers.onEvent(line as EngineEvent);
        });
      } catch (error) {
        if (signal.aborted) return;
        throw connectionError(this.endpoint, error, signal, what);
      }
    } finally {
      await client.destroy().catch(() => undefined);
    }
  }

  /** Creates a container; returns its id. */
  async createContainer(name: string, body: ContainerCreateBody, signal?: AbortSignal): Promise<string> {
    const { body: created } = await this.call('POST', `/containers/create?${new URLSearchParams({ name })}`, `create container ${name}`, [201], { body, signal });
    const id = (created as { Id?: unknown } | null)?.Id;
    if (typeof id !== 'string' || id === '') throw new OrchestratorError(`${this.endpoint.host} created container ${name} but gave no id.`);
    return id;
  }

  /**
   * Starts a container; one already running is fine (304). `what` names it in an error (by
   * default its short id; a caller whose errors are compared across attempts names it by
   * something that does not change with each new container).
   */
  async startContainer(id: string, signal?: AbortSignal, what = `start container ${short(id)}`): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/start`, what, [204, 304], { signal });
  }

  /** Stops a container, killing it after `timeoutSeconds`; stopped or gone already is fine. */
  async stopContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/stop?t=${timeoutSeconds}`, `stop container ${short(id)}`, [204, 304, 404], { signal });
  }

  /** Removes a container (forcibly, if it still runs); gone already is fine. */
  async removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.call('DELETE', `/containers/${encodeURIComponent(id)}?force=true`, `remove container ${short(id)}`, [204, 404], { signal });
  }

  async inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerInspect> {
    const { body } = await this.call('GET', `/containers/${encodeURIComponent(id)}/json`, `inspect container ${short(id)}`, [200], { signal });
    if (body === null || typeof body !== 'object') throw new OrchestratorError(`${this.endpoint.host} answered the inspection of container ${short(id)} with no object.`);
    return body as ContainerInspect;
  }

  /** The networks named exactly `name` (the Engine's filter matches parts of names too). */
  async listNetworks(name: string, signal?: AbortSignal): Promise<NetworkSummary[]> {
    const query = new URLSearchParams({ filters: JSON.stringify({ name: [name] }) });
    const { body } = await this.call('GET', `/networks?${query}`, 'list networks', [200], { signal });
    if (!Array.isArray(body)) throw new OrchestratorError(`${this.endpoint.host} answered the network list with something that is not a list.`);
    return (body as NetworkSummary[]).filter((network) => network.Name === name);
  }

  /**
   * Creates a bridge network; `false` when one of that name exists already (HTTP 409: another
   * deploy made it first). `CheckDuplicate` makes Engines before API 1.44 refuse a second network
   * of the same name (newer ones always do, and ignore the field).
   */
  async createNetwork(name: string, labels: Record<string, string>, signal?: AbortSignal): Promise<boolean> {
    const body = { Name: name, CheckDuplicate: true, Driver: 'bridge', Labels: labels };
    const { status } = await this.call('POST', '/networks/create', `create network ${name}`, [201, 409], { body, signal });
    return status === 201;
  }

  /** Removes a network; gone already is fine. */
  async removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    await this.call('DELETE', `/networks/${encodeURIComponent(id)}`, `remove network ${short(id)}`, [204, 404], { signal });
  }

  /** Attaches a (running) container to a network, with these aliases. */
  async connectNetwork(networkId: string, containerId: string, aliases: string[], signal?: AbortSignal): Promise<void> {
    const body = { Container: containerId, EndpointConfig: aliases.length > 0 ? { Aliases: aliases } : {} };
    await this.call('POST', `/networks/${encodeURIComponent(networkId)}/connect`, `connect container ${short(containerId)} to network ${short(networkId)}`, [200], { body, signal });
  }

  /** Detaches a container from a network. */
  async disconnectNetwork(networkId: string, containerId: string, signal?: AbortSignal): Promise<void> {
    const body = { Container: containerId, Force: true };
    await this.call('POST', `/networks/${encodeURIComponent(networkId)}/disconnect`, `disconnect container ${short(containerId)} from network ${short(networkId)}`, [200], { body, signal });
  }

  /** An image by reference (`name@sha256:…`, `name:tag`), or `undefined` when the Engine has none. */
  async inspectImage(reference: string, signal?: AbortSignal): Promise<{ Id?: string; RepoDigests?: string[] | null } | undefined> {
    const { status, body } = await this.call('GET', `/images/${encodeURIComponent(reference)}/json`, `inspect image ${reference}`, [200, 404], { signal });
    return status === 200 && body !== null && typeof body === 'object' ? (body as { Id?: string; RepoDigests?: string[] | null }) : undefined;
  }

  private async call(method: HttpMethod, path: string, what: string, ok: number[], options: { body?: unknown; signal?: AbortSignal }): Promise<EngineResponse> {
    const response = await send(this.client, this.endpoint, method, `/v${this.apiVersion}${path}`, options, what);
    if (!ok.includes(response.status)) {
      throw engineError(what, response.status, typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
    }
    return response;
  }

  private async open(method: HttpMethod, path: string, what: string, options: { signal?: AbortSignal }) {
    try {
      return await this.client.request({ method, path: `/v${this.apiVersion}${path}`, headers: { accept: 'application/json' }, signal: options.signal ?? null });
    } catch (error) {
      throw connectionError(this.endpoint, error, options.signal, what);
    }
  }
}

async function send(client: Dispatcher, endpoint: EngineEndpoint, method: HttpMethod, path: string, options: { body?: unknown; signal?: AbortSignal }, what: string): Promise<EngineResponse> {
  try {
    const response = await client.request({
      method,
      path,
      headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: options.signal ?? null,
    });
    const text = await readCapped(response.body);
    let body: unknown = text;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.statusCode, body };
  } catch (error) {
    throw connectionError(endpoint, error, options.signal, what);
  }
}

/**
 * Calls `onLine` with each JSON line of a streamed body (pull progress, events); a line that
 * is not JSON is skipped.
 */
async function readJsonLines(body: AsyncIterable<unknown>, onLine: (line: unknown) => void): Promise<void> {
  let pending = '';
  const consider = (line: string) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    onLine(parsed);
  };
  for await (const chunk of body) {
    pending += (chunk as Buffer).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) consider(line);
    // A line never needs to be this long; keeping it would let a broken stream fill memory.
    if (pending.length > 1024 * 1024) pending = '';
  }
  consider(pending);
}

/** Reads a response body up to 16 MiB (a container list is the largest answer expected). */
async function readCapped(body: AsyncIterable<unknown>, limit = 16 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new OrchestratorError(`The Docker Engine sent an answer larger than ${limit / 1024 / 1024} MiB.`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function connectionError(endpoint: EngineEndpoint, error: unknown, signal: AbortSignal | undefined, what: string): unknown {
  if (error instanceof OrchestratorError) return error;
  if (signal?.aborted) return signal.reason ?? error;
  const code = (error as { code?: string }).code;
  const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? ' (is Docker running?)' : code === 'EACCES' ? ' (may this user use the Docker socket?)' : '';
  const detail = oneLine(code ?? (error instanceof Error ? error.message : String(error)), 120);
  return new OrchestratorError(`Cannot reach the Docker Engine at ${endpoint.host} to ${what}: ${detail}${hint}.`);
}

/** The Engine's `{"message": …}` as one sentence. */
function engineError(what: string, status: number, text: string): OrchestratorError {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed?.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return new OrchestratorError(`Docker could not ${what} (HTTP ${status}): ${sentence(message || 'no reason given')}`);
}

function sentence(text: string): string {
  const line = oneLine(text);
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

export function short(id: string): string {
  return id.slice(0, 12);
}

function isApiVersion(text: string): boolean {
  return /^\d+\.\d+$/.test(text);
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
