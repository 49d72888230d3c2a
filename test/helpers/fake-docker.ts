/**
 * A fake Docker Engine on a unix socket: the Engine API endpoints the docker orchestrator uses,
 * with the request and response shapes, status codes and error bodies (`{"message": …}`) of
 * the Engine API reference, containers kept in memory, and every call recorded.
 *
 * It is stricter than Docker where strictness catches client bugs: unknown fields in a create
 * body are a 400, `Env` items must be `KEY=value`, and an image must be pulled before a
 * container is created from it (404 "No such image", as Docker answers when it is missing).
 * Networks are kept too: the predefined `bridge`, `host` and `none`, and user-defined bridge
 * networks, with the Engine's rules for them (aliases only on a user-defined network, a
 * network with containers cannot be removed, a name two networks share is ambiguous).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeDockerOptions {
  /** The newest API version the fake speaks (`ApiVersion` of `/version`). */
  apiVersion?: string;
  /** The oldest (`MinAPIVersion`). */
  minApiVersion?: string;
}

export interface RecordedCall {
  method: string;
  /** Without the version prefix, e.g. `/containers/create`. */
  path: string;
  /** The version prefix used, e.g. `1.45`, or undefined for an unversioned path. */
  version?: string;
  query: Record<string, string>;
  body?: unknown;
  status: number;
}

export interface FakeContainer {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  Config: Record<string, unknown> & { Image: string; Env: string[]; Labels: Record<string, string> };
  HostConfig: Record<string, unknown> & { PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[]> };
  state: 'created' | 'running' | 'exited';
  /** Filled when the container starts (Docker assigns published ports then). */
  ports: Record<string, { HostIp: string; HostPort: string }[]>;
  stopTimeouts: number[];
  /** Its attachments, by network name. */
  networks: Record<string, { NetworkID: string; Aliases: string[] | null }>;
}

export interface FakeNetwork {
  Id: string;
  Name: string;
  Created: string;
  Driver: string;
  Labels: Record<string, string>;
  /** Docker's own (`bridge`, `host`, `none`): never removed. */
  predefined: boolean;
}

interface Hook {
  method: string;
  path: RegExp;
  action: () => void;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  message: string;
  times: number;
}

// The fields of the Engine's ContainerConfig and HostConfig (API 1.41–1.45); anything else is refused.
const CONTAINER_FIELDS = new Set([
  'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin',
  'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint',
  'NetworkDisabled', 'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell', 'HostConfig', 'NetworkingConfig',
]);
const HOST_CONFIG_FIELDS = new Set([
  'CpuShares', 'Memory', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
  'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemoryTCP', 'MemoryReservation',
  'MemorySwap', 'MemorySwappiness', 'NanoCpus', 'OomKillDisable', 'Init', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent',
  'IOMaximumIOps', 'IOMaximumBandwidth', 'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings',
  'RestartPolicy', 'AutoRemove', 'VolumeDriver', 'VolumesFrom', 'Mounts', 'ConsoleSize', 'Annotations', 'CapAdd', 'CapDrop',
  'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Links', 'OomScoreAdj',
  'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'StorageOpt', 'Tmpfs', 'UTSMode',
  'UsernsMode', 'ShmSize', 'Sysctls', 'Runtime', 'Isolation', 'MaskedPaths', 'ReadonlyPaths',
]);
const NETWORK_FIELDS = new Set(['Name', 'CheckDuplicate', 'Driver', 'Scope', 'Internal', 'Attachable', 'Ingress', 'ConfigOnly', 'ConfigFrom', 'IPAM', 'EnableIPv6', 'Options', 'Labels']);
const PREDEFINED_NETWORKS = { bridge: 'bridge', host: 'host', none: 'null' } as const;
const RESTART_POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);
const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export class FakeDocker {
  readonly calls: RecordedCall[] = [];
  readonly images = new Set<string>();
  /**
   * What `GET /images/{name}/json` lists as an image's repository digests, by the reference it
   * was pulled as; by default the digest it was pulled by (a tag gets the stream's digest).
   * Set one to play an Engine that holds another image under a pinned reference.
   */
  readonly repoDigests = new Map<string, string[]>();
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, FakeNetwork>();
  private readonly faults: Fault[] = [];
  private readonly hooks: Hook[] = [];
  private readonly pullFailures = new Map<string, string>();
  private nextHostPort = 32768;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly socketPath: string,
    readonly options: Required<FakeDockerOptions>,
  ) {
    for (const [name, driver] of Object.entries(PREDEFINED_NETWORKS)) this.addNetwork(name, {}, { driver, predefined: true });
  }

  static async start(options: FakeDockerOptions = {}): Promise<FakeDocker> {
    const dir = mkdtempSync(join(tmpdir(), 'hsp-docker-'));
    const socketPath = join(dir, 'docker.sock');
    const server = createServer();
    const fake = new FakeDocker(server, dir, socketPath, { apiVersion: options.apiVersion ?? '1.45', minApiVersion: options.minApiVersion ?? '1.24' });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return fake;
  }

  /** What the agent's `--docker-host` takes. */
  get host(): string {
    return `unix://${this.socketPath}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Answers the next `times` matching requests with an Engine error instead. */
  failOn(method: string, path: RegExp, status: number, message: string, times = 1): void {
    this.faults.push({ method, path, status, message, times });
  }

  /**
   * Runs `action` once, just before the next matching request is handled: what another process
   * does between two calls of the agent (e.g. creates the network it just found missing).
   */
  before(method: string, path: RegExp, action: () => void): void {
    this.hooks.push({ method, path, action });
  }

  /** A network as another client would make it (no name check: Engines before API 1.44 allowed duplicates). */
  addNetwork(name: string, labels: Record<string, string> = {}, options: { created?: string; driver?: string; predefined?: boolean } = {}): FakeNetwork {
    const network: FakeNetwork = { Id: randomBytes(32).toString('hex'), Name: name, Created: options.created ?? new Date().toISOString(), Driver: options.driver ?? 'bridge', Labels: labels, predefined: options.predefined ?? false };
    this.networks.set(network.Id, network);
    return network;
  }

  /** The user-defined networks called `name`. */
  networksNamed(name: string): FakeNetwork[] {
    return [...this.networks.values()].filter((n) => n.Name === name && !n.predefined);
  }

  /** Makes pulls of `image` (`name:tag`) stream an error line, as Docker does for a missing manifest. */
  failPull(image: string, message: string): void {
    this.pullFailures.set(image, message);
  }

  /** Simulates a container exiting on its own (a crash). */
  exit(id: string): void {
    const container = this.find(id);
    if (container) container.state = 'exited';
  }

  callsTo(method: string, path: RegExp): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && path.test(call.path));
  }

  running(): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.state === 'running');
  }

  private find(idOrName: string): FakeContainer | undefined {
    const byId = this.containers.get(idOrName);
    if (byId) return byId;
    for (const container of this.containers.values()) {
      if (container.Name === `/${idOrName}` || (idOrName.length >= 12 && container.Id.startsWith(idOrName))) return container;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const versioned = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const version = versioned?.[1];
    const path = versioned?.[2] ?? url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    const call: RecordedCall = { method: req.method ?? 'GET', path, ...(version ? { version } : {}), query, status: 0 };
    this.calls.push(call);
    const reply = (status: number, body?: unknown, contentType = 'application/json') => {
      call.status = status;
      res.writeHead(status, { 'content-type': contentType, 'api-version': this.options.apiVersion, server: 'Docker/27.0.0-fake (linux)' });
      res.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    };
    const error = (status: number, message: string) => reply(status, { message });

    if (version !== undefined) {
      if (compare(version, this.options.apiVersion) > 0) return error(400, `client version ${version} is too new. Maximum supported API version is ${this.options.apiVersion}`);
      if (compare(version, this.options.minApiVersion) < 0) return error(400, `client version ${version} is too old. Minimum supported API version is ${this.options.minApiVersion}, please upgrade your client to a newer version`);
    }
    if (raw.length > 0) {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return error(400, `Content-Type specified (${req.headers['content-type'] ?? ''}) must be 'application/json'`);
      }
      try {
        call.body = JSON.parse(raw);
      } catch (e) {
        return error(400, `invalid JSON: ${(e as Error).message}`);
      }
    }
    const hook = this.hooks.findIndex((h) => h.method === call.method && h.path.test(path));
    if (hook >= 0) this.hooks.splice(hook, 1)[0]!.action();
    const fault = this.faults.find((f) => f.method === call.method && f.path.test(path) && f.times > 0);
    if (fault) {
      fault.times--;
      return error(fault.status, fault.message);
    }

    const method = call.method;
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/_ping') return reply(200, 'OK', 'text/plain; charset=utf-8');
    if (method === 'GET' && path === '/version') {
      return reply(200, {
        Platform: { Name: 'Docker Engine - Fake' },
        Version: '27.0.0-fake',
        ApiVersion: this.options.apiVersion,
        MinAPIVersion: this.options.minApiVersion,
        GitCommit: '0000000',
        GoVersion: 'go1.22.0',
        Os: 'linux',
        Arch: 'amd64',
        KernelVersion: '6.0.0',
        BuildTime: '2024-01-01T00:00:00.000000000+00:00',
      });
    }
    if (method === 'GET' && path === '/containers/json') return this.list(query, reply, error);
    if (method === 'POST' && path === '/images/create') return this.pull(query, res, call, error);
    if ((match = /^\/images\/(.+)\/json$/.exec(path)) && method === 'GET') {
      const reference = decodeURIComponent(match[1] as string);
      if (!this.images.has(reference)) return error(404, `no such image: ${reference}: No such image: ${reference}`);
      const at = reference.lastIndexOf('@');
      const digests = this.repoDigests.get(reference) ?? [at >= 0 ? reference : `${reference.replace(/:[^:/]+$/, '')}@sha256:${'1'.repeat(64)}`];
      return reply(200, { Id: `sha256:${'2'.repeat(64)}`, RepoTags: at >= 0 ? [] : [reference], RepoDigests: digests });
    }
    if (method === 'POST' && path === '/containers/create') return this.create(query, call.body, reply, error);
    if ((match = /^\/containers\/([^/]+)\/(start|stop)$/.exec(path)) && method === 'POST') {
      const container = this.find(decodeURIComponent(match[1] as string));
      if (!container) return error(404, `No such container: ${decodeURIComponent(match[1] as string)}`);
      if (match[2] === 'start') {
        if (container.state === 'running') return reply(304);
        container.state = 'running';
        container.ports = this.publish(container);
        return reply(204);
      }
      if (query.t !== undefined) container.stopTimeouts.push(Number(query.t));
      if (container.state !== 'running') return reply(304);
      container.state = 'exited';
      return reply(204);
    }
    if ((match = /^\/containers\/([^/]+)\/json$/.exec(path)) && method === 'GET') {
      const container = this.find(decodeURIComponent(match[1] as string));
      if (!container) return error(404, `No such container: ${decodeURIComponent(match[1] as string)}`);
      return reply(200, inspect(container));
    }
    if ((match = /^\/containers\/([^/]+)$/.exec(path)) && method === 'DELETE') {
      const container = this.find(decodeURIComponent(match[1] as string));
      if (!container) return error(404, `No such container: ${decodeURIComponent(match[1] as string)}`);
      if (container.state === 'running' && query.force !== 'true' && query.force !== '1') {
        return error(409, `You cannot remove a running container ${container.Id}. Stop the container before attempting removal or force remove`);
      }
      this.containers.delete(container.Id);
      return reply(204);
    }
    if (method === 'GET' && path === '/networks') return this.listNetworks(query, reply, error);
    if (method === 'POST' && path === '/networks/create') return this.createNetwork(call.body, reply, error);
    if ((match = /^\/networks\/([^/]+)$/.exec(path)) && (method === 'GET' || method === 'DELETE')) {
      const found = this.network(decodeURIComponent(match[1] as string));
      if (typeof found === 'string') return error(found.startsWith('network') ? 404 : 400, found);
      if (method === 'GET') return reply(200, this.networkView(found));
      if (found.predefined) return error(403, `${found.Name} is a pre-defined network and cannot be removed`);
      if (this.attachedTo(found).length > 0) return error(403, `error while removing network: network ${found.Name} id ${found.Id} has active endpoints`);
      this.networks.delete(found.Id);
      return reply(204);
    }
    if ((match = /^\/networks\/([^/]+)\/(connect|disconnect)$/.exec(path)) && method === 'POST') {
      const found = this.network(decodeURIComponent(match[1] as string));
      if (typeof found === 'string') return error(found.startsWith('network') ? 404 : 400, found);
      const body = (call.body ?? {}) as { Container?: unknown; EndpointConfig?: { Aliases?: unknown } | null };
      const container = typeof body.Container === 'string' ? this.find(body.Container) : undefined;
      if (!container) return error(404, `No such container: ${String(body.Container)}`);
      if (match[2] === 'disconnect') {
        if (!container.networks[found.Name]) return error(403, `container ${container.Id} is not connected to network ${found.Name}`);
        delete container.networks[found.Name];
        return reply(200);
      }
      if (container.networks[found.Name]) return error(403, `endpoint with name ${container.Name.slice(1)} already exists in network ${found.Name}`);
      const aliases = body.EndpointConfig?.Aliases ?? null;
      if (aliases !== null && (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string'))) return error(400, 'json: cannot unmarshal into Go struct field EndpointSettings.Aliases of type []string');
      if (aliases !== null && aliases.length > 0 && found.predefined) return error(400, 'network-scoped alias is supported only for containers in user defined networks');
      container.networks[found.Name] = { NetworkID: found.Id, Aliases: aliases as string[] | null };
      return reply(200);
    }
    return error(404, 'page not found');
  }

  /** A network by id, id prefix or name, or the Engine's message when there is none or the name is ambiguous. */
  private network(idOrName: string): FakeNetwork | string {
    const byId = this.networks.get(idOrName);
    if (byId) return byId;
    const named = [...this.networks.values()].filter((n) => n.Name === idOrName);
    if (named.length > 1) return `${named.length} matches found based on name: network ${idOrName} is ambiguous`;
    if (named.length === 1) return named[0]!;
    const prefixed = idOrName.length >= 12 ? [...this.networks.values()].filter((n) => n.Id.startsWith(idOrName)) : [];
    return prefixed.length === 1 ? prefixed[0]! : `network ${idOrName} not found`;
  }

  private attachedTo(network: FakeNetwork): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.networks[network.Name]?.NetworkID === network.Id);
  }

  private networkView(network: FakeNetwork): Record<string, unknown> {
    return {
      Name: network.Name,
      Id: network.Id,
      Created: network.Created,
      Scope: 'local',
      Driver: network.Driver,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: Object.fromEntries(this.attachedTo(network).map((c) => [c.Id, { Name: c.Name.slice(1) }])),
      Options: {},
      Labels: network.Labels,
    };
  }

  /** `GET /networks`: the `name` filter matches parts of names, as the Engine's does; `label` as for containers. */
  private listNetworks(query: Record<string, string>, reply: (status: number, body?: unknown) => void, error: (status: number, message: string) => void): void {
    let filters: Record<string, string[]> = {};
    if (query.filters) {
      try {
        filters = JSON.parse(query.filters) as Record<string, string[]>;
      } catch {
        return error(400, 'invalid filter');
      }
      for (const key of Object.keys(filters)) if (key !== 'name' && key !== 'label') return error(400, `invalid filter '${key}'`);
    }
    const names = filters.name ?? [];
    const labels = filters.label ?? [];
    const matches = [...this.networks.values()].filter(
      (n) =>
        (names.length === 0 || names.some((name) => n.Name.includes(name))) &&
        labels.every((filter) => {
          const eq = filter.indexOf('=');
          return eq < 0 ? filter in n.Labels : n.Labels[filter.slice(0, eq)] === filter.slice(eq + 1);
        }),
    );
    // The list does not say which containers are attached (only inspecting one network does).
    reply(200, matches.map((n) => ({ ...this.networkView(n), Containers: {} })));
  }

  private createNetwork(body: unknown, reply: (status: number, body?: unknown) => void, error: (status: number, message: string) => void): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return error(400, 'network name is required');
    const config = body as Record<string, unknown>;
    for (const key of Object.keys(config)) if (!NETWORK_FIELDS.has(key)) return error(400, `json: unknown field "${key}"`);
    if (typeof config.Name !== 'string' || config.Name === '') return error(400, 'network name is required');
    if (config.Name in PREDEFINED_NETWORKS) return error(403, `${config.Name} is a pre-defined network and cannot be created`);
    if (config.Driver !== undefined && config.Driver !== 'bridge') return error(404, `plugin "${String(config.Driver)}" not found`);
    const labels = config.Labels ?? {};
    if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) return error(400, 'json: cannot unmarshal into Go struct field NetworkCreateRequest.Labels of type map[string]string');
    // Engines before API 1.44 check only when asked to (and not atomically: see addNetwork).
    if (config.CheckDuplicate === true && [...this.networks.values()].some((n) => n.Name === config.Name)) return error(409, `network with name ${config.Name} already exists`);
    const network = this.addNetwork(config.Name, labels as Record<string, string>);
    reply(201, { Id: network.Id, Warning: '' });
  }

  private list(query: Record<string, string>, reply: (status: number, body?: unknown) => void, error: (status: number, message: string) => void): void {
    let labels: string[] = [];
    if (query.filters) {
      try {
        const filters = JSON.parse(query.filters) as Record<string, unknown>;
        for (const key of Object.keys(filters)) if (key !== 'label') return error(400, `invalid filter '${key}'`);
        const label = filters.label ?? [];
        // The Engine takes both `["k=v"]` and the older `{"k=v": true}`.
        labels = Array.isArray(label) ? label.map(String) : Object.keys(label as object);
      } catch {
        return error(400, 'invalid filter');
      }
    }
    const all = query.all === 'true' || query.all === '1';
    const matches = [...this.containers.values()].filter(
      (c) =>
        (all || c.state === 'running') &&
        labels.every((filter) => {
          const eq = filter.indexOf('=');
          return eq < 0 ? filter in c.Config.Labels : c.Config.Labels[filter.slice(0, eq)] === filter.slice(eq + 1);
        }),
    );
    reply(
      200,
      matches.map((c) => ({
        Id: c.Id,
        Names: [c.Name],
        Image: c.Config.Image,
        ImageID: `sha256:${'0'.repeat(64)}`,
        Command: '',
        Created: Math.floor(Date.parse(c.Created) / 1000),
        Ports: Object.entries(c.ports).flatMap(([key, bindings]) =>
          bindings.map((b) => ({ IP: b.HostIp, PrivatePort: Number.parseInt(key, 10), PublicPort: Number(b.HostPort), Type: key.split('/')[1] ?? 'tcp' })),
        ),
        Labels: c.Config.Labels,
        State: c.state,
        Status: c.state === 'running' ? 'Up Less than a second' : c.state === 'exited' ? 'Exited (0) Less than a second ago' : 'Created',
        HostConfig: { NetworkMode: (c.HostConfig.NetworkMode as string | undefined) ?? 'default' },
        NetworkSettings: { Networks: networksOf(c) },
        Mounts: [],
      })),
    );
  }

  /** `POST /images/create`: 200 and a stream of JSON progress lines, an error being one of them. */
  private pull(query: Record<string, string>, res: ServerResponse, call: RecordedCall, error: (status: number, message: string) => void): void {
    const name = query.fromImage;
    if (!name) return error(400, 'fromImage is required');
    const tag = query.tag ?? '';
    const image = tag === '' ? `${name}:latest` : tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`;
    call.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`${JSON.stringify({ status: `Pulling from ${name}`, id: tag || 'latest' })}\r\n`);
    const failure = this.pullFailures.get(image);
    if (failure !== undefined) {
      res.end(`${JSON.stringify({ errorDetail: { message: failure }, error: failure })}\r\n`);
      return;
    }
    res.write(`${JSON.stringify({ status: 'Downloading', progressDetail: { current: 1, total: 2 }, id: 'a1b2c3d4e5f6' })}\r\n`);
    this.images.add(image);
    res.end(`${JSON.stringify({ status: `Digest: sha256:${'1'.repeat(64)}` })}\r\n${JSON.stringify({ status: `Status: Downloaded newer image for ${image}` })}\r\n`);
  }

  private create(query: Record<string, string>, body: unknown, reply: (status: number, body?: unknown) => void, error: (status: number, message: string) => void): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return error(400, 'config cannot be empty in order to create a container');
    const config = body as Record<string, unknown>;
    for (const key of Object.keys(config)) if (!CONTAINER_FIELDS.has(key)) return error(400, `json: unknown field "${key}"`);
    const hostConfig = (config.HostConfig ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(hostConfig)) if (!HOST_CONFIG_FIELDS.has(key)) return error(400, `json: unknown field "${key}"`);
    const name = query.name;
    if (name !== undefined && !CONTAINER_NAME.test(name)) return error(400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (typeof config.Image !== 'string' || config.Image === '') return error(400, 'No command specified');
    const env = config.Env ?? [];
    if (!Array.isArray(env)) return error(400, 'json: cannot unmarshal into Go struct field Config.Env of type []string');
    for (const item of env) {
      if (typeof item !== 'string' || !/^[^=]+=/.test(item)) return error(400, `invalid environment variable: ${String(item)}`);
    }
    const labels = config.Labels ?? {};
    if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) {
      return error(400, 'json: cannot unmarshal into Go struct field Config.Labels of type map[string]string');
    }
    const restart = (hostConfig.RestartPolicy ?? { Name: '' }) as { Name?: unknown };
    if (!RESTART_POLICIES.has(String(restart.Name ?? ''))) return error(400, `invalid restart policy: unknown policy '${String(restart.Name)}'`);
    const memory = hostConfig.Memory;
    if (memory !== undefined && (typeof memory !== 'number' || !Number.isInteger(memory) || (memory !== 0 && memory < 6 * 1024 * 1024))) {
      return error(400, 'Minimum memory limit allowed is 6MB');
    }
    const image = config.Image.includes(':') || config.Image.includes('@') ? config.Image : `${config.Image}:latest`;
    if (!this.images.has(image)) return error(404, `No such image: ${config.Image}`);
    const containerName = `/${name ?? randomBytes(6).toString('hex')}`;
    const taken = [...this.containers.values()].find((c) => c.Name === containerName);
    if (taken) {
      return error(409, `Conflict. The container name "${containerName}" is already in use by container "${taken.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const mode = hostConfig.NetworkMode === undefined || hostConfig.NetworkMode === 'default' ? 'bridge' : hostConfig.NetworkMode;
    if (typeof mode !== 'string') return error(400, 'json: cannot unmarshal into Go struct field HostConfig.NetworkMode of type container.NetworkMode');
    const network = this.network(mode);
    if (typeof network === 'string') return error(network.startsWith('network') ? 404 : 400, network);
    const endpoints = ((config.NetworkingConfig ?? {}) as { EndpointsConfig?: Record<string, { Aliases?: unknown } | null> }).EndpointsConfig ?? {};
    if (Object.keys(endpoints).length > 1) return error(400, 'Container cannot be connected to network endpoints: ' + Object.keys(endpoints).join(', '));
    let aliases: string[] | null = null;
    for (const [key, endpoint] of Object.entries(endpoints)) {
      if (this.network(key) !== network) return error(400, `the container's network mode is ${mode}, but its endpoint names network ${key}`);
      const given = endpoint?.Aliases ?? null;
      if (given !== null && (!Array.isArray(given) || !given.every((a) => typeof a === 'string'))) return error(400, 'json: cannot unmarshal into Go struct field EndpointSettings.Aliases of type []string');
      if (given !== null && given.length > 0 && network.predefined) return error(400, 'network-scoped alias is supported only for containers in user defined networks');
      aliases = given as string[] | null;
    }
    const id = randomBytes(32).toString('hex');
    const { HostConfig: _host, NetworkingConfig: _network, ...rest } = config;
    this.containers.set(id, {
      Id: id,
      Name: containerName,
      Created: new Date().toISOString(),
      Image: `sha256:${'0'.repeat(64)}`,
      Config: { ...rest, Image: config.Image, Env: env as string[], Labels: labels as Record<string, string> },
      HostConfig: hostConfig,
      state: 'created',
      ports: {},
      stopTimeouts: [],
      networks: { [network.Name]: { NetworkID: network.Id, Aliases: aliases } },
    });
    reply(201, { Id: id, Warnings: [] });
  }

  private publish(container: FakeContainer): Record<string, { HostIp: string; HostPort: string }[]> {
    const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const [key, bindings] of Object.entries(container.HostConfig.PortBindings ?? {})) {
      ports[key] = bindings.flatMap((binding) => {
        const hostPort = binding.HostPort ? binding.HostPort : String(this.nextHostPort++);
        // Docker publishes on IPv4 and IPv6 when no host IP is given.
        return binding.HostIp ? [{ HostIp: binding.HostIp, HostPort: hostPort }] : [{ HostIp: '0.0.0.0', HostPort: hostPort }, { HostIp: '::', HostPort: hostPort }];
      });
    }
    return ports;
  }
}

function inspect(c: FakeContainer): Record<string, unknown> {
  const running = c.state === 'running';
  return {
    Id: c.Id,
    Created: c.Created,
    Path: '/docker-entrypoint.sh',
    Args: [],
    State: { Status: c.state, Running: running, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: running ? 4242 : 0, ExitCode: 0, Error: '', StartedAt: c.Created, FinishedAt: '0001-01-01T00:00:00Z' },
    Image: c.Image,
    Name: c.Name,
    RestartCount: 0,
    HostConfig: c.HostConfig,
    Config: c.Config,
    NetworkSettings: { Ports: running ? c.ports : {}, Networks: networksOf(c) },
  };
}

function networksOf(c: FakeContainer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c.networks).map(([name, n]) => [name, { IPAMConfig: null, Links: null, Aliases: n.Aliases, NetworkID: n.NetworkID, EndpointID: '', Gateway: '', IPAddress: '', MacAddress: '' }]));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function compare(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
