/**
 * A stub Kubernetes API server for the kubernetes orchestrator's tests: no API server can run
 * here offline, so this one speaks the part of the API the agent uses, over real HTTPS on
 * loopback (a throw-away certificate authority made with openssl), reached through a kubeconfig
 * the test writes, with bearer-token authentication:
 *
 * - `GET`, `PATCH` (server-side apply only) and `DELETE` on
 *   `/apis/apps/v1/namespaces/NS/deployments[/NAME]` and `/api/v1/namespaces/NS/services[/NAME]`;
 *   lists with `labelSelector` (equality and existence terms), `limit` and `continue`.
 * - Every apply body is judged as the real server would (kube-api-validation.ts): unknown
 *   fields are a 400 ("field not declared in schema", as server-side apply answers); the
 *   OpenAPI schema of the kind (from kubernetes-models) and the API server's own validation
 *   rules give a 422 `Status` with its causes. The content type must be
 *   `application/apply-patch+yaml` and `fieldManager` must be set; the `force` flag is recorded
 *   so tests can check it, and an apply without it after another manager changed the object is
 *   a 409 conflict, as on a real cluster.
 * - Objects live in memory. Apply is simplified to replacing the object's labels, annotations
 *   and spec with the applied configuration (real server-side apply merges per field and keeps
 *   other managers' fields); the server's own fields (uid, resourceVersion, generation,
 *   creationTimestamp, a Service's cluster IP) and some defaults are filled in as the API server
 *   does, so that a client comparing what it applied with what it reads back meets real shapes.
 * - Deployment status stands in for the controllers: with `autoReady` a Deployment is rolled out
 *   as soon as it is applied; otherwise its pods exist but are not ready until the test calls
 *   `markReady` (or `markFailed`, the progress deadline).
 * - RBAC: `useRole(rules)` allows only what a Role's rules allow (an apply that creates needs
 *   `create` as well as `patch`, as on a real cluster), and `deny(verb, resource)` refuses one
 *   more thing; a refusal is a 403 worded as the real authorizer words it. A request without
 *   the bearer token is a 401.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { schemaCheck, semanticCauses, type Cause, type Kind } from './kube-api-validation.js';

export type Resource = 'deployments' | 'services';
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'patch' | 'update' | 'delete';

export interface StubCall {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: Verb | 'unknown';
  resource?: Resource;
  namespace?: string;
  name?: string;
  contentType?: string;
  body?: unknown;
  status: number;
}

export interface StubObject {
  apiVersion: string;
  kind: Kind;
  metadata: Record<string, unknown> & {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

/** A rule of an RBAC Role, as in its YAML. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface KubeApiStubOptions {
  /** The bearer token the kubeconfig carries and every request must present. */
  token?: string;
  /** Deployments are rolled out (every replica ready) as soon as they are applied. */
  autoReady?: boolean;
  /** Who the token belongs to, in 403 messages. */
  user?: string;
}

const RESOURCES: Record<Resource, { group: string; apiVersion: string; kind: Kind; prefix: string }> = {
  deployments: { group: 'apps', apiVersion: 'apps/v1', kind: 'Deployment', prefix: '/apis/apps/v1' },
  services: { group: '', apiVersion: 'v1', kind: 'Service', prefix: '/api/v1' },
};
const PATH = /^\/(api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(deployments|services)(?:\/([^/]+))?$/;
/** The API server refuses request bodies above 3 MiB. */
const MAX_BODY = 3 * 1024 * 1024;
const APPLY = 'application/apply-patch+yaml';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', APPLY];

export class KubeApiStub {
  readonly calls: StubCall[] = [];
  /** Every bearer token presented, in order (to prove the kubeconfig's token arrives). */
  readonly tokens: string[] = [];
  autoReady: boolean;
  private readonly objects = new Map<string, StubObject>();
  /** Managers other than the applier that changed an object since its last forced apply. */
  private readonly foreign = new Map<string, Set<string>>();
  private readonly denied = new Set<string>();
  private role: PolicyRule[] | undefined;
  private revision = 1000;
  private nextIp = 10;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    private readonly ca: string,
    readonly token: string,
    private readonly user: string,
    autoReady: boolean,
  ) {
    this.autoReady = autoReady;
  }

  static async start(options: KubeApiStubOptions = {}): Promise<KubeApiStub> {
    const dir = await mkdtemp(join(tmpdir(), 'hsp-kube-stub-'));
    const { key, cert } = await selfSignedCertificate(dir);
    const token = options.token ?? `stub-${randomUUID()}`;
    const self: { stub?: KubeApiStub } = {};
    const server = createServer({ key, cert }, (request, response) => {
      self.stub!.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, statusBody(500, 'InternalError', `stub failure: ${(error as Error).message}`));
      });
    });
    const stub = new KubeApiStub(server, dir, cert, token, options.user ?? 'system:serviceaccount:hsp:hsp-agent', options.autoReady ?? true);
    self.stub = stub;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The server's certificate (its own CA), for a client that talks to it directly. */
  get caCertificate(): string {
    return this.ca;
  }

  /** Writes a kubeconfig for this server (its CA, the token) and returns its path. */
  async writeKubeconfig(options: { namespace?: string; token?: string; file?: string } = {}): Promise<string> {
    const file = options.file ?? join(this.dir, `kubeconfig-${randomUUID()}.yaml`);
    const context: Record<string, string> = { cluster: 'stub', user: 'agent', ...(options.namespace ? { namespace: options.namespace } : {}) };
    await writeFile(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'stub', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.ca).toString('base64') } }],
        users: [{ name: 'agent', user: { token: options.token ?? this.token } }],
        contexts: [{ name: 'stub', context }],
        'current-context': 'stub',
      }),
      { mode: 0o600 },
    );
    return file;
  }

  /** Makes requests with this verb on this resource a 403, as RBAC would. */
  deny(verb: Verb, resource: Resource): void {
    this.denied.add(`${verb} ${resource}`);
  }

  allow(verb: Verb, resource: Resource): void {
    this.denied.delete(`${verb} ${resource}`);
  }

  /** Allows only what these Role rules allow (`undefined`: everything again). */
  useRole(rules: PolicyRule[] | undefined): void {
    this.role = rules;
  }

  private forbids(verb: Verb, resource: Resource): boolean {
    if (this.denied.has(`${verb} ${resource}`)) return true;
    if (!this.role) return false;
    const group = RESOURCES[resource].group;
    const matches = (list: string[], value: string) => list.includes('*') || list.includes(value);
    return !this.role.some((rule) => matches(rule.apiGroups, group) && matches(rule.resources, resource) && matches(rule.verbs, verb));
  }

  /** A copy of one object, as a GET would return it. */
  get(resource: Resource, namespace: string, name: string): StubObject | undefined {
    const object = this.objects.get(keyOf(resource, namespace, name));
    return object ? structuredClone(object) : undefined;
  }

  /** Copies of the objects of a resource (in a namespace), by name. */
  list(resource: Resource, namespace?: string): StubObject[] {
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${resource}/${namespace ?? ''}`))
      .map(([, object]) => structuredClone(object))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** The apply requests, in order. */
  applies(): StubCall[] {
    return this.calls.filter((call) => call.method === 'PATCH');
  }

  /** Rolls a Deployment out: every replica updated, ready and available (the controllers' work). */
  markReady(namespace: string, name: string, ready?: number): void {
    const object = this.mustGet('deployments', namespace, name);
    object.status = rolledOut(object, ready);
    object.metadata.resourceVersion = String(++this.revision);
  }

  /** The Deployment's progress deadline passed (`Progressing` False, `ProgressDeadlineExceeded`). */
  markFailed(namespace: string, name: string, message: string): void {
    const object = this.mustGet('deployments', namespace, name);
    object.status = {
      ...object.status,
      observedGeneration: object.metadata.generation,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message, lastUpdateTime: now(), lastTransitionTime: now() }],
    };
    object.metadata.resourceVersion = String(++this.revision);
  }

  /**
   * Another client changes an object (`kubectl scale`, `kubectl edit`): `mutate` edits a copy,
   * which is stored with a new resourceVersion (and generation, when the spec changed).
   */
  edit(resource: Resource, namespace: string, name: string, mutate: (object: StubObject) => void, manager = 'kubectl-edit'): void {
    const key = keyOf(resource, namespace, name);
    const object = this.mustGet(resource, namespace, name);
    const before = JSON.stringify(object.spec);
    mutate(object);
    if (JSON.stringify(object.spec) !== before) {
      object.metadata.generation++;
      if (resource === 'deployments') object.status = this.autoReady ? rolledOut(object) : pending(object);
    }
    object.metadata.resourceVersion = String(++this.revision);
    this.foreign.set(key, new Set([...(this.foreign.get(key) ?? []), manager]));
  }

  /** Another client deletes an object behind the agent's back. */
  remove(resource: Resource, namespace: string, name: string): void {
    this.objects.delete(keyOf(resource, namespace, name));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------

  private mustGet(resource: Resource, namespace: string, name: string): StubObject {
    const object = this.objects.get(keyOf(resource, namespace, name));
    if (!object) throw new Error(`The stub has no ${resource} ${namespace}/${name}.`);
    return object;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://stub');
    const query = Object.fromEntries(url.searchParams);
    const call: StubCall = { method: request.method ?? 'GET', path: url.pathname, query, verb: 'unknown', status: 0 };
    const contentType = request.headers['content-type'];
    if (contentType) call.contentType = contentType;
    this.calls.push(call);
    const answer = (status: number, body: unknown) => {
      call.status = status;
      send(response, status, body);
    };

    let text: string;
    try {
      text = await readBody(request);
    } catch {
      return answer(413, statusBody(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
    }

    const authorization = request.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
    if (token !== undefined) this.tokens.push(token);
    if (token !== this.token) return answer(401, statusBody(401, 'Unauthorized', 'Unauthorized'));

    if (url.pathname === '/version') return answer(200, { major: '1', minor: '34', gitVersion: 'v1.34.0-hsp-stub' });
    const match = PATH.exec(url.pathname);
    const resource = match?.[3] as Resource | undefined;
    if (!match || !resource || `/${match[1]}` !== RESOURCES[resource].prefix) return answer(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    const namespace = decodeURIComponent(match[2]!);
    const name = match[4] === undefined ? undefined : decodeURIComponent(match[4]);
    call.resource = resource;
    call.namespace = namespace;
    if (name !== undefined) call.name = name;
    const info = RESOURCES[resource];

    const verb: Verb | undefined =
      request.method === 'GET' ? (name === undefined ? (query.watch === 'true' ? 'watch' : 'list') : 'get') : request.method === 'PATCH' && name !== undefined ? 'patch' : request.method === 'DELETE' && name !== undefined ? 'delete' : undefined;
    if (!verb) return answer(405, statusBody(405, 'MethodNotAllowed', `the stub does not serve ${request.method} on ${url.pathname}`));
    call.verb = verb;
    const forbidden = (v: Verb) => this.forbids(v, resource);
    const refuse = (v: Verb) =>
      answer(
        403,
        statusBody(
          403,
          'Forbidden',
          `${resource}${info.group ? `.${info.group}` : ''}${name ? ` "${name}"` : ''} is forbidden: User "${this.user}" cannot ${v} resource "${resource}" in API group "${info.group}" in the namespace "${namespace}"`,
          { ...(name ? { name } : {}), group: info.group, kind: resource },
        ),
      );
    if (forbidden(verb)) return refuse(verb);

    const key = name === undefined ? '' : keyOf(resource, namespace, name);
    const notFound = () => answer(404, statusBody(404, 'NotFound', `${resource}${info.group ? `.${info.group}` : ''} "${name}" not found`, { name, group: info.group, kind: resource }));

    if (verb === 'watch') return answer(400, statusBody(400, 'BadRequest', 'the stub does not serve watches'));
    if (verb === 'list') {
      const selector = parseSelector(query.labelSelector ?? '');
      if (typeof selector === 'string') return answer(400, statusBody(400, 'BadRequest', `unable to parse requirement: ${selector}`));
      let items = this.list(resource, namespace).filter((object) => object.metadata.namespace === namespace && selector(object.metadata.labels ?? {}));
      if (query.continue) items = items.filter((object) => object.metadata.name > Buffer.from(query.continue!, 'base64url').toString());
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      const more = limit !== undefined && limit > 0 && items.length > limit;
      if (more) items = items.slice(0, limit);
      return answer(200, {
        kind: `${info.kind}List`,
        apiVersion: info.apiVersion,
        metadata: { resourceVersion: String(this.revision), ...(more ? { continue: Buffer.from(items.at(-1)!.metadata.name).toString('base64url') } : {}) },
        // As from the real server: list items carry no kind or apiVersion.
        items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
      });
    }
    if (verb === 'get') {
      const object = this.objects.get(key);
      return object ? answer(200, object) : notFound();
    }
    if (verb === 'delete') {
      const policy = query.propagationPolicy;
      if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
        return answer(400, statusBody(400, 'BadRequest', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`));
      }
      if (text.trim() !== '') {
        const options = safeJson(text);
        if (!options || typeof options !== 'object' || (options as { kind?: unknown }).kind !== 'DeleteOptions') return answer(400, statusBody(400, 'BadRequest', 'the body of a delete must be a DeleteOptions object'));
      }
      const object = this.objects.get(key);
      if (!object) return notFound();
      this.objects.delete(key);
      this.foreign.delete(key);
      return answer(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: info.group, kind: resource, uid: object.metadata.uid } });
    }

    // PATCH: server-side apply only.
    const type = contentType?.split(';')[0]?.trim().toLowerCase();
    if (type !== APPLY) {
      const message = PATCH_TYPES.includes(type ?? '')
        ? `the stub API server speaks only server-side apply (${APPLY}), not ${type}`
        : `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`;
      return answer(415, statusBody(415, 'UnsupportedMediaType', message));
    }
    call.body = safeJson(text) ?? text;
    if (!query.fieldManager) return answer(422, statusBody(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] }));
    if (query.force !== undefined && !['true', 'false'].includes(query.force)) return answer(400, statusBody(400, 'BadRequest', `force: invalid value "${query.force}"`));
    if (query.fieldValidation !== undefined && !['Ignore', 'Warn', 'Strict'].includes(query.fieldValidation)) {
      return answer(400, statusBody(400, 'BadRequest', `fieldValidation must be one of "Ignore", "Warn", or "Strict", not "${query.fieldValidation}"`));
    }
    if (query.dryRun !== undefined) return answer(400, statusBody(400, 'BadRequest', 'the stub does not serve dry runs'));

    let body: unknown;
    try {
      body = parseYaml(text, { uniqueKeys: true });
    } catch (error) {
      return answer(400, statusBody(400, 'BadRequest', `error decoding YAML: ${(error as Error).message.split('\n')[0]}`));
    }
    call.body = body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return answer(400, statusBody(400, 'BadRequest', 'the apply body is not an object'));
    const applied = body as Record<string, unknown> & { metadata?: Record<string, unknown> };
    if (applied.apiVersion !== info.apiVersion) return answer(400, statusBody(400, 'BadRequest', `the API version in the data (${String(applied.apiVersion)}) does not match the expected API version (${info.apiVersion})`));
    if (applied.kind !== info.kind) return answer(400, statusBody(400, 'BadRequest', `the kind in the data (${String(applied.kind)}) does not match the expected kind (${info.kind})`));
    const meta = applied.metadata ?? {};
    if (meta.name !== name) return answer(400, statusBody(400, 'BadRequest', `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`));
    if (meta.namespace !== undefined && meta.namespace !== namespace) return answer(400, statusBody(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
    if (meta.managedFields !== undefined) return answer(400, statusBody(400, 'BadRequest', 'metadata.managedFields must be nil'));

    const { unknown, causes: schemaCauses } = schemaCheck(info.kind, applied);
    if (unknown.length > 0) {
      return answer(400, statusBody(400, 'BadRequest', `failed to create typed patch object (${namespace}/${name}; ${info.apiVersion}, Kind=${info.kind}): ${[...unknown].sort().map((path) => `${path}: field not declared in schema`).join(', ')}`));
    }
    const causes = [...schemaCauses, ...(schemaCauses.length === 0 ? semanticCauses(info.kind, applied) : [])];
    const existing = this.objects.get(key);
    if (causes.length === 0 && existing && info.kind === 'Deployment' && JSON.stringify((existing.spec as { selector?: unknown }).selector) !== JSON.stringify((applied.spec as { selector?: unknown } | undefined)?.selector)) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${JSON.stringify((applied.spec as { selector?: unknown } | undefined)?.selector)}: field is immutable` });
    }
    if (causes.length > 0) return answer(422, invalid(info, name, causes));

    const created = !existing;
    if (created ? forbidden('create') : false) return refuse('create');
    const next = this.store(resource, namespace, name!, applied, existing);
    if (existing && JSON.stringify(next) !== JSON.stringify(existing)) {
      const others = this.foreign.get(key);
      if (others?.size && query.force !== 'true') {
        return answer(409, statusBody(409, 'Conflict', `Apply failed with ${others.size} conflict${others.size > 1 ? 's' : ''}: ${[...others].map((m) => `conflict with "${m}"`).join(', ')}`, { name, group: info.group, kind: resource }));
      }
    }
    if (existing && JSON.stringify(next) === JSON.stringify(existing)) return answer(200, existing);
    this.objects.set(key, next);
    this.foreign.delete(key);
    return answer(created ? 201 : 200, next);
  }

  /** The object after applying `applied`: the server's fields kept or filled, some defaults set. */
  private store(resource: Resource, namespace: string, name: string, applied: Record<string, unknown> & { metadata?: Record<string, unknown> }, existing: StubObject | undefined): StubObject {
    const meta = applied.metadata ?? {};
    const spec = defaulted(resource, structuredClone((applied.spec ?? {}) as Record<string, unknown>), existing, () => this.allocateIp());
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(spec);
    const metadata: StubObject['metadata'] = {
      name,
      namespace,
      uid: existing?.metadata.uid ?? randomUUID(),
      resourceVersion: existing?.metadata.resourceVersion ?? '',
      generation: existing ? existing.metadata.generation + (specChanged ? 1 : 0) : 1,
      creationTimestamp: existing?.metadata.creationTimestamp ?? now(),
      ...(meta.labels ? { labels: structuredClone(meta.labels as Record<string, string>) } : {}),
      ...(meta.annotations ? { annotations: structuredClone(meta.annotations as Record<string, string>) } : {}),
    };
    const object: StubObject = { apiVersion: RESOURCES[resource].apiVersion, kind: RESOURCES[resource].kind, metadata, spec, status: existing?.status ?? {} };
    if (resource === 'services') {
      object.status = { loadBalancer: {} };
    } else if (specChanged) {
      object.status = this.autoReady ? rolledOut(object) : pending(object);
    }
    const unchanged = existing && JSON.stringify({ ...object, metadata: { ...object.metadata, resourceVersion: '' } }) === JSON.stringify({ ...existing, metadata: { ...existing.metadata, resourceVersion: '' } });
    object.metadata.resourceVersion = unchanged ? existing.metadata.resourceVersion : String(++this.revision);
    return unchanged ? existing : object;
  }

  /** The next free cluster IP of the service range (10.96.0.0/12, as kubeadm's default). */
  private allocateIp(): string {
    const n = this.nextIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }
}

/** Some of the defaults the API server sets, and a Service's cluster IP (kept across applies). */
function defaulted(resource: Resource, spec: Record<string, unknown>, existing: StubObject | undefined, allocateIp: () => string): Record<string, unknown> {
  if (resource === 'services') {
    const ports = (spec.ports as Record<string, unknown>[] | undefined) ?? [];
    const clusterIP = (existing?.spec.clusterIP as string | undefined) ?? (spec.clusterIP as string | undefined) ?? allocateIp();
    return {
      ...spec,
      type: spec.type ?? 'ClusterIP',
      sessionAffinity: spec.sessionAffinity ?? 'None',
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      ports: ports.map((port) => ({ ...port, protocol: port.protocol ?? 'TCP', targetPort: port.targetPort ?? port.port })),
    };
  }
  const template = (spec.template ?? {}) as { metadata?: unknown; spec?: Record<string, unknown> };
  const pod = template.spec ?? {};
  const containers = ((pod.containers as Record<string, unknown>[] | undefined) ?? []).map((container) => {
    const image = String(container.image ?? '');
    const result: Record<string, unknown> = {
      ...container,
      imagePullPolicy: container.imagePullPolicy ?? (/:latest$|^[^:@]+$/.test(image.slice(image.lastIndexOf('/') + 1)) ? 'Always' : 'IfNotPresent'),
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: canonicalResources((container.resources ?? {}) as Record<string, Record<string, string>>),
    };
    // Go's omitempty: empty lists and empty values do not come back.
    for (const list of ['args', 'command', 'env', 'ports']) if (Array.isArray(result[list]) && (result[list] as unknown[]).length === 0) delete result[list];
    if (Array.isArray(result.env)) result.env = (result.env as Record<string, unknown>[]).map((env) => (env.value === '' ? { name: env.name } : env));
    if (Array.isArray(result.ports)) result.ports = (result.ports as Record<string, unknown>[]).map((port) => ({ ...port, protocol: port.protocol ?? 'TCP' }));
    return result;
  });
  return {
    ...spec,
    replicas: spec.replicas ?? 1,
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
    strategy: spec.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    template: {
      ...template,
      spec: {
        ...pod,
        restartPolicy: pod.restartPolicy ?? 'Always',
        dnsPolicy: pod.dnsPolicy ?? 'ClusterFirst',
        schedulerName: pod.schedulerName ?? 'default-scheduler',
        securityContext: pod.securityContext ?? {},
        terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
        containers,
      },
    },
  };
}

/** Quantities in canonical form, as the API server writes them back: `1024Mi` is `1Gi`. */
function canonicalResources(resources: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const [group, values] of Object.entries(resources)) {
    result[group] = Object.fromEntries(
      Object.entries(values).map(([name, quantity]) => {
        const match = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(String(quantity));
        if (!match) return [name, quantity];
        const units = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
        let value = Number(match[1]);
        let unit = units.indexOf(match[2]!);
        while (value % 1024 === 0 && value > 0 && unit < units.length - 1) {
          value /= 1024;
          unit++;
        }
        return [name, `${value}${units[unit]}`];
      }),
    );
  }
  return result;
}

function rolledOut(object: StubObject, ready?: number): Record<string, unknown> {
  const replicas = (object.spec.replicas as number | undefined) ?? 1;
  const count = ready ?? replicas;
  return omitZero({
    observedGeneration: object.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: count,
    availableReplicas: count,
    unavailableReplicas: replicas - count,
    conditions: [
      { type: 'Available', status: count >= replicas ? 'True' : 'False', reason: count >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', lastUpdateTime: now(), lastTransitionTime: now() },
      { type: 'Progressing', status: 'True', reason: count >= replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', lastUpdateTime: now(), lastTransitionTime: now() },
    ],
  });
}

/** The controllers have created the pods of the latest spec, and none is ready yet. */
function pending(object: StubObject): Record<string, unknown> {
  const replicas = (object.spec.replicas as number | undefined) ?? 1;
  return omitZero({ observedGeneration: object.metadata.generation, replicas, updatedReplicas: replicas, unavailableReplicas: replicas, readyReplicas: 0, availableReplicas: 0 });
}

/** Go's omitempty on the status counters: a zero does not come back. */
function omitZero(status: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status).filter(([, value]) => value !== 0));
}

function invalid(info: { group: string; kind: Kind }, name: string | undefined, causes: Cause[]): unknown {
  const lines = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const qualified = `${info.kind}${info.group ? `.${info.group}` : ''}`;
  const message = `${qualified} "${name}" is invalid: ${lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`}`;
  return statusBody(422, 'Invalid', message, { name, group: info.group, kind: info.kind, causes });
}

/** A `Status` object, as the API server answers errors. */
export function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** Equality (`k=v`, `k==v`, `k!=v`) and existence (`k`, `!k`) terms, joined by commas. */
function parseSelector(text: string): ((labels: Record<string, string>) => boolean) | string {
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    const equality = /^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(term);
    const existence = /^(!?)([A-Za-z0-9./_-]+)$/.exec(term);
    if (equality) {
      const [, key, op, value] = equality;
      tests.push(op === '!=' ? (labels) => labels[key!] !== value : (labels) => labels[key!] === value);
    } else if (existence) {
      const [, not, key] = existence;
      tests.push(not ? (labels) => !(key! in labels) : (labels) => key! in labels);
    } else {
      return JSON.stringify(term);
    }
  }
  return (labels) => tests.every((test) => test(labels));
}

function keyOf(resource: Resource, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A throw-away certificate for 127.0.0.1 (self-signed: the kubeconfig names it as its own CA). */
async function selfSignedCertificate(dir: string): Promise<{ key: string; cert: string }> {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=hsp-kube-stub', '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-keyout', keyFile, '-out', certFile,
  ]);
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
}
