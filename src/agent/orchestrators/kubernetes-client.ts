/**
 * The kubernetes orchestrator's door to a cluster: the official client (@kubernetes/client-node),
 * loaded only when this orchestrator is chosen (it takes about a second to import), and wrapped
 * so that the orchestrator sees the few calls it makes, each with a time limit and the agent's
 * abort signal, and every failure as one sentence.
 *
 * Where the configuration comes from, as kubectl looks for it: `--kubeconfig FILE` (or
 * `KUBECONFIG`, a list of files), then `~/.kube/config`, then the pod's service account when
 * the agent runs in the cluster. The namespace: `--namespace`, else the current context's,
 * else `default` (in a pod, the context's is the service account's own namespace).
 *
 * Writes are server-side apply (PATCH `application/apply-patch+yaml`, field manager
 * `hsp-agent`, `force=true`): the agent owns the fields it sets and takes them back from
 * whoever changed them, and leaves every other field (another controller's) alone.
 * Apply already refuses a field the schema does not declare (400, "field not declared in
 * schema"); `fieldValidation=Strict` says so explicitly and refuses duplicate fields too, so a
 * mistake in a manifest fails loudly instead of being dropped with a warning.
 *
 * Messages never carry the credentials: the server's own messages name the user, not the
 * token, and whatever comes from elsewhere has the token scrubbed out before it is shown.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import type { AppsV1Api, CoreV1Api, KubeConfig, V1Deployment, V1Service } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../../sdk/errors.js';
import { FIELD_MANAGER, type Manifest } from './kubernetes-manifests.js';
import { OrchestratorError, oneLine } from './orchestrator-error.js';

type ClientModule = typeof K8s;
type CallOptions = Parameters<AppsV1Api['listNamespacedDeployment']>[1];

export interface KubernetesClientOptions {
  /** A kubeconfig file, or several joined with the path delimiter (`:`), as in KUBECONFIG. */
  kubeconfig?: string;
  /** Where `kubeconfig` came from, for messages: `--kubeconfig` (default) or `KUBECONFIG`. */
  kubeconfigSource?: string;
  namespace?: string;
  /** Where to look for `.kube/config` when no kubeconfig is given. */
  homeDir?: string;
  /** How long one API call may take (default 30 s). */
  requestTimeoutMs?: number;
}

/** The pod's service account, as the kubelet mounts it. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const DEFAULT_NAMESPACE = 'default';
const REQUEST_TIMEOUT_MS = 30_000;
/** An RFC 1123 label: what a namespace name must be. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LIST_PAGE = 500;

export type ObjectKind = 'Deployment' | 'Service';

export class KubernetesClient {
  private constructor(
    private readonly k8s: ClientModule,
    private readonly apps: AppsV1Api,
    private readonly core: CoreV1Api,
    /** The API server's URL, for messages and the log. */
    readonly server: string,
    readonly namespace: string,
    /** The kubeconfig context used, or `in-cluster`. */
    readonly context: string,
    /** What the credentials came from: the kubeconfig's path(s), or the service account. */
    readonly source: string,
    private readonly secrets: string[],
    private readonly timeoutMs: number,
  ) {}

  /** Reads the configuration (no request yet); refuses one that cannot work with one sentence. */
  static async connect(options: KubernetesClientOptions = {}): Promise<KubernetesClient> {
    const k8s = await import('@kubernetes/client-node');
    const { kc, source } = loadConfig(k8s, options);
    const contextName = kc.getCurrentContext();
    const context = contextName ? kc.getContextObject(contextName) : null;
    if (!context) {
      throw new InvalidArgumentError(
        options.kubeconfigSource ?? '--kubeconfig',
        contextName ? `The kubeconfig ${source} names the current context "${contextName}" but does not define it.` : `The kubeconfig ${source} has no current context: choose one with kubectl config use-context NAME.`,
      );
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) {
      throw new InvalidArgumentError(options.kubeconfigSource ?? '--kubeconfig', `The context "${contextName}" of the kubeconfig ${source} names no cluster with a server URL.`);
    }
    if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
      throw new InvalidArgumentError(options.kubeconfigSource ?? '--kubeconfig', `The cluster ${cluster.server} is plain HTTP, which the Kubernetes client refuses unless the kubeconfig sets insecure-skip-tls-verify: true; use its https:// address.`);
    }
    const namespace = options.namespace ?? (context.namespace?.trim() || DEFAULT_NAMESPACE);
    if (!NAMESPACE_PATTERN.test(namespace) || namespace.length > 63) {
      const from = options.namespace !== undefined ? 'The --namespace' : `The namespace of context "${contextName}"`;
      throw new InvalidArgumentError('--namespace', `${from} ${JSON.stringify(namespace.slice(0, 80))} is not a namespace name (at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit).`);
    }
    const user = kc.getCurrentUser();
    const secrets = [user?.token, user?.password].filter((s): s is string => typeof s === 'string' && s.length >= 4);
    return new KubernetesClient(
      k8s,
      kc.makeApiClient(k8s.AppsV1Api),
      kc.makeApiClient(k8s.CoreV1Api),
      cluster.server.replace(/\/+$/, ''),
      namespace,
      contextName,
      source,
      secrets,
      options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    );
  }

  /** Deployments in the namespace with these labels (`key=value,…`), every page. */
  async listDeployments(labelSelector: string, signal?: AbortSignal): Promise<V1Deployment[]> {
    const items: V1Deployment[] = [];
    let next: string | undefined;
    do {
      const page = await this.call(`list deployments in namespace "${this.namespace}"`, signal, undefined, (options) =>
        this.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector, limit: LIST_PAGE, ...(next ? { _continue: next } : {}) }, options),
      );
      items.push(...page.items.map((item) => ({ ...item, kind: 'Deployment' })));
      next = page.metadata?._continue || undefined;
    } while (next);
    return items;
  }

  /** Services in the namespace with these labels, every page. */
  async listServices(labelSelector: string, signal?: AbortSignal): Promise<V1Service[]> {
    const items: V1Service[] = [];
    let next: string | undefined;
    do {
      const page = await this.call(`list services in namespace "${this.namespace}"`, signal, undefined, (options) =>
        this.core.listNamespacedService({ namespace: this.namespace, labelSelector, limit: LIST_PAGE, ...(next ? { _continue: next } : {}) }, options),
      );
      items.push(...page.items.map((item) => ({ ...item, kind: 'Service' })));
      next = page.metadata?._continue || undefined;
    } while (next);
    return items;
  }

  async readDeployment(name: string, signal?: AbortSignal): Promise<V1Deployment> {
    return this.call(`read Deployment ${name} in namespace "${this.namespace}"`, signal, undefined, (options) => this.apps.readNamespacedDeployment({ name, namespace: this.namespace }, options));
  }

  /** Server-side apply of one object; returns the object as the server now has it. */
  async apply(manifest: Manifest, signal?: AbortSignal): Promise<V1Deployment | V1Service> {
    const name = manifest.metadata.name;
    const request = { name, namespace: this.namespace, body: manifest, fieldManager: FIELD_MANAGER, force: true, fieldValidation: 'Strict' };
    const what = `apply ${manifest.kind} ${name} in namespace "${this.namespace}"`;
    const applied =
      manifest.kind === 'Deployment'
        ? await this.call(what, signal, APPLY_PATCH, (options) => this.apps.patchNamespacedDeployment(request, options))
        : await this.call(what, signal, APPLY_PATCH, (options) => this.core.patchNamespacedService(request, options));
    return { ...applied, kind: manifest.kind };
  }

  /**
   * Deletes one object; `false` when it was not there. Background propagation: the object goes
   * at once (so the next listing no longer shows it, and its name is free again), and the
   * garbage collector then removes its ReplicaSets and pods, each pod with its grace period.
   */
  async delete(kind: ObjectKind, name: string, signal?: AbortSignal): Promise<boolean> {
    const request = { name, namespace: this.namespace, propagationPolicy: 'Background' };
    try {
      await this.call<unknown>(`delete ${kind} ${name} in namespace "${this.namespace}"`, signal, undefined, (options) =>
        kind === 'Deployment' ? this.apps.deleteNamespacedDeployment(request, options) : this.core.deleteNamespacedService(request, options),
      );
      return true;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** One API call with a time limit and the caller's signal; every failure becomes one sentence. */
  private async call<T>(what: string, signal: AbortSignal | undefined, contentType: string | undefined, send: (options: CallOptions) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const { Observable } = this.k8s;
    const options: CallOptions = {
      middleware: [
        {
          pre: (context) => {
            context.setSignal(combined);
            if (contentType) context.setHeaderParam('Content-Type', contentType);
            return new Observable(Promise.resolve(context));
          },
          post: (response) => new Observable(Promise.resolve(response)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    try {
      return await send(options);
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (timeout.aborted) throw new OrchestratorError(`The Kubernetes API server at ${this.server} did not answer within ${Math.round(this.timeoutMs / 1000)} s when asked to ${what}.`);
      throw this.describe(error, what);
    }
  }

  private describe(error: unknown, what: string): Error {
    const scrub = (text: string) => this.secrets.reduce((result, secret) => result.split(secret).join('***'), text).replace(/(bearer\s+)\S+/gi, '$1***');
    if (error instanceof this.k8s.ApiException) {
      const status = statusOf(error.body);
      const code = error.code;
      const message = status?.message ? scrub(sentence(status.message)) : undefined;
      if (code === 401) return new KubernetesApiError(code, `The Kubernetes API server at ${this.server} did not accept the agent's credentials (HTTP 401) when asked to ${what}; check the token or certificate in ${this.source}.`);
      if (code === 403) return new KubernetesApiError(code, `Kubernetes forbids the agent to ${what} (HTTP 403): ${message ?? 'no reason given.'}`);
      if (code === 422) return new KubernetesApiError(code, `Kubernetes refused to ${what} as invalid (HTTP 422): ${message ?? 'no reason given.'}`);
      const reason = status?.reason ? ` ${status.reason}` : '';
      return new KubernetesApiError(code, `Kubernetes could not ${what} (HTTP ${code}${reason}): ${message ?? 'no reason given.'}`);
    }
    const code = (error as { code?: unknown })?.code;
    if (typeof code === 'string' && /^[A-Z_0-9]+$/.test(code)) {
      const hint = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' ? ' (is the cluster running, and is this its address?)' : /CERT|SELF_SIGNED|TLS|SSL/.test(code) ? ' (does the kubeconfig name the certificate authority of this server?)' : '';
      return new OrchestratorError(`Cannot reach the Kubernetes API server at ${this.server} to ${what}: ${code}${hint}.`);
    }
    const text = error instanceof Error ? error.message : String(error);
    return new OrchestratorError(`Cannot ${what} on the Kubernetes API server at ${this.server}: ${scrub(sentence(text))}`);
  }
}

/** The API server answered with an error status (the message is the sentence to show). */
export class KubernetesApiError extends OrchestratorError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const APPLY_PATCH = 'application/apply-patch+yaml';

function loadConfig(k8s: ClientModule, options: KubernetesClientOptions): { kc: KubeConfig; source: string } {
  const kc = new k8s.KubeConfig();
  const flag = options.kubeconfigSource ?? '--kubeconfig';
  if (options.kubeconfig) {
    const files = options.kubeconfig.split(delimiter).filter((file) => file !== '');
    files.forEach((file, index) => {
      const one = index === 0 ? kc : new k8s.KubeConfig();
      try {
        one.loadFromFile(file);
        // As kubectl: the first file that sets a current context decides it.
        if (index > 0) kc.mergeConfig(one, !!kc.getCurrentContext());
      } catch (error) {
        throw new InvalidArgumentError(flag, `The kubeconfig ${file} (from ${flag}) ${unreadable(error)}.`);
      }
    });
    return { kc, source: files.join(delimiter) };
  }
  const home = options.homeDir ? join(options.homeDir, '.kube', 'config') : undefined;
  if (home && existsSync(home)) {
    try {
      kc.loadFromFile(home);
    } catch (error) {
      throw new InvalidArgumentError(flag, `The kubeconfig ${home} ${unreadable(error)}.`);
    }
    return { kc, source: home };
  }
  if (existsSync(SERVICE_ACCOUNT_TOKEN) && process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return { kc, source: 'the pod\'s service account' };
  }
  throw new InvalidArgumentError(flag, 'No Kubernetes configuration was found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run the agent in a pod with a service account.');
}

/** Why a kubeconfig could not be read, without quoting its content (it holds credentials). */
function unreadable(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  if (code === 'EISDIR') return 'is a folder, not a file';
  const yaml = error as { name?: unknown; reason?: unknown; mark?: { line?: unknown } };
  if (yaml?.name === 'YAMLException') {
    const line = typeof yaml.mark?.line === 'number' ? ` at line ${yaml.mark.line + 1}` : '';
    return `is not valid YAML${line}${typeof yaml.reason === 'string' ? ` (${oneLine(yaml.reason, 80)})` : ''}`;
  }
  // The client's own checks ("clusters[0].name is missing") say nothing secret.
  return `is not a usable kubeconfig: ${oneLine(error instanceof Error ? error.message : String(error), 120)}`;
}

/** A Kubernetes `Status` object from an error body (text or already parsed). */
function statusOf(body: unknown): { message?: string; reason?: string } | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === '' ? undefined : { message: body };
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { message, reason } = value as { message?: unknown; reason?: unknown };
  return { ...(typeof message === 'string' ? { message } : {}), ...(typeof reason === 'string' ? { reason } : {}) };
}

function sentence(text: string): string {
  const line = oneLine(text);
  return /[.!?…]$/.test(line) ? line : `${line}.`;
}
