/**
 * What the kubernetes orchestrator asks a cluster to run for one instance: per long-running
 * task of the build's default configuration, a Deployment (the task's replicas, memory limit,
 * environment and container ports) and, when the task has ports, a ClusterIP Service for them.
 * Pure: no client, no I/O, so every rule here is testable on its own.
 *
 * Names are `hsp-<instance id>-<task key>`: deterministic (a redeploy applies to the same
 * objects, and Kubernetes rolls the pods), at most 63 characters (a Service name is an RFC 1035
 * label), and distinct per task of an instance. The task key is a slug of the task's name (for
 * people reading `kubectl get`) and a hash of the exact name (so "Web" and "web!" differ).
 *
 * Labels carry the same facts as the docker orchestrator's container labels, under valid
 * Kubernetes keys (`org.hl7.hsp/instance` for docker's `org.hl7.hsp.instance`). What is not a
 * valid label value (the fingerprint, a task's free-text name) goes into annotations.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, imageOf, taskPlansOf, type TaskPlan } from '../deployment.js';
import type { Deployment } from '../orchestrator.js';
import { OrchestratorError } from './orchestrator-error.js';

export const KUBE_LABELS = {
  platform: 'org.hl7.hsp/platform',
  instance: 'org.hl7.hsp/instance',
  build: 'org.hl7.hsp/build',
  /** The task key (see `taskKeysOf`): with the instance, it selects a task's pods. */
  task: 'org.hl7.hsp/task',
  /** The Kubernetes convention, so `kubectl get all -l app.kubernetes.io/managed-by=hsp-agent` finds everything. */
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const KUBE_ANNOTATIONS = {
  fingerprint: 'org.hl7.hsp/fingerprint',
  /** The task's name as the marketplace has it. */
  taskName: 'org.hl7.hsp/task-name',
  /** How many objects (Deployments and Services) the deployment made: one missing means it must be applied again. */
  workloads: 'org.hl7.hsp/workloads',
  /** SHA-256 of the managed fields as applied (see `stateOf`): a live object that no longer matches it drifted. */
  applied: 'org.hl7.hsp/applied',
} as const;

/** The server-side apply field manager, and the `managed-by` label's value. */
export const FIELD_MANAGER = 'hsp-agent';

/** The specification's limit for a product's containers to stop (STU2), as for docker. */
export const TERMINATION_GRACE_SECONDS = 15;

const OWN_PREFIX = 'org.hl7.hsp/';
const MAX_NAME = 63;
const PREFIX = 'hsp-';
const HASH_LENGTH = 8;

/** The fields of a Deployment this orchestrator sets (and reads back). */
export interface DeploymentManifest {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        automountServiceAccountToken: boolean;
        enableServiceLinks: boolean;
        terminationGracePeriodSeconds: number;
        containers: ContainerManifest[];
      };
    };
  };
}

export interface ContainerManifest {
  name: string;
  image: string;
  args?: string[];
  env: { name: string; value: string }[];
  ports: { name: string; containerPort: number; protocol: 'TCP' }[];
  resources: { limits?: { memory: string } };
}

export interface ServiceManifest {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    type: 'ClusterIP';
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: number; protocol: 'TCP' }[];
  };
}

interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type Manifest = DeploymentManifest | ServiceManifest;

/** One task as it runs on the cluster. */
export interface TaskObjects {
  plan: TaskPlan;
  key: string;
  deployment: DeploymentManifest;
  /** Absent when the task has no ports (a Service needs at least one). */
  service?: ServiceManifest;
}

export interface InstanceManifests {
  tasks: TaskObjects[];
  /** Scheduled tasks, which are not long-running: no Deployment runs them. */
  skipped: TaskPlan[];
  /** Every object, Deployments first: the order they are applied in. */
  objects: Manifest[];
}

/**
 * Every object the instance needs in `namespace`. Throws OrchestratorError when two tasks would
 * get the same name (a hash collision: practically never, but never silently).
 */
export function manifestsFor(deployment: Deployment, namespace: string): InstanceManifests {
  const instanceId = deployment.instance.id.toLowerCase();
  const plans = taskPlansOf(deployment);
  const image = imageOf(deployment).reference;
  const keys = taskKeysOf(plans);
  const tasks: TaskObjects[] = [];
  const skipped: TaskPlan[] = [];
  for (const plan of plans) {
    // As with docker: a cron task is a job on a schedule, not a service; a Deployment would
    // run it in a loop. (A CronJob could run it; that is for a later change.)
    if (plan.cron !== undefined) skipped.push(plan);
    else tasks.push(taskObjects(deployment, plan, keys[plan.index]!, image, namespace));
  }
  const count = tasks.reduce((sum, task) => sum + (task.service ? 2 : 1), 0);
  const objects: Manifest[] = [...tasks.map((task) => task.deployment), ...tasks.flatMap((task) => (task.service ? [task.service] : []))];
  for (const object of objects) {
    object.metadata.annotations[KUBE_ANNOTATIONS.workloads] = String(count);
    object.metadata.annotations[KUBE_ANNOTATIONS.applied] = appliedHash(object);
  }
  if (new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`)).size !== objects.length) {
    throw new OrchestratorError(`Instance ${instanceId}: two of its tasks would get the same Kubernetes name; rename one of them.`);
  }
  return { tasks, skipped, objects };
}

/** `hsp-<instance id>-<task key>`: at most 63 characters, a valid RFC 1035 label and RFC 1123 subdomain. */
export function objectName(instanceId: string, key: string): string {
  return `${PREFIX}${instanceId.toLowerCase()}-${key}`;
}

/**
 * A key per task, from its name: `<slug>-<hash>`, where the slug is the name in lowercase
 * letters, digits and dashes (cut to fit 63 characters with the instance id), and the hash is
 * the first 8 hex digits of SHA-256 of the exact name (and, for a second task of the same name,
 * its occurrence). The same tasks give the same keys, whatever else changes in the build.
 */
export function taskKeysOf(plans: readonly TaskPlan[]): string[] {
  const room = MAX_NAME - PREFIX.length - 36 - 1 - 1 - HASH_LENGTH;
  const seen = new Map<string, number>();
  const keys: string[] = [];
  for (const plan of plans) {
    const occurrence = seen.get(plan.name) ?? 0;
    seen.set(plan.name, occurrence + 1);
    const hash = createHash('sha256')
      .update(occurrence === 0 ? plan.name : `${plan.name}\u0000${occurrence}`)
      .digest('hex')
      .slice(0, HASH_LENGTH);
    const slug = slugOf(plan.name, room);
    keys[plan.index] = slug === '' ? hash : `${slug}-${hash}`;
  }
  return keys;
}

function slugOf(name: string, max: number): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

function taskObjects(deployment: Deployment, plan: TaskPlan, key: string, image: string, namespace: string): TaskObjects {
  const instanceId = deployment.instance.id.toLowerCase();
  const name = objectName(instanceId, key);
  const selector = { [KUBE_LABELS.instance]: instanceId, [KUBE_LABELS.task]: key };
  const labels = {
    [KUBE_LABELS.platform]: deployment.platformId.toLowerCase(),
    [KUBE_LABELS.instance]: instanceId,
    [KUBE_LABELS.build]: deployment.build.id.toLowerCase(),
    [KUBE_LABELS.task]: key,
    [KUBE_LABELS.managedBy]: FIELD_MANAGER,
  };
  const metadata = (): ObjectMeta => ({
    name,
    namespace,
    labels: { ...labels },
    annotations: { [KUBE_ANNOTATIONS.fingerprint]: deployment.fingerprint, [KUBE_ANNOTATIONS.taskName]: plan.name },
  });
  // Named ports: `tcp-8080` is a valid IANA service name (at most 15 characters, one letter).
  const portName = (port: number) => `tcp-${port}`;
  const container: ContainerManifest = {
    // The slug part of the key, so `kubectl logs` names something recognisable; "task" if none.
    name: key.length > HASH_LENGTH ? key.slice(0, -HASH_LENGTH - 1) : 'task',
    image,
    ...(plan.options.length > 0 ? { args: plan.options } : {}),
    env: Object.keys(plan.environment)
      .sort()
      .map((env) => ({ name: env, value: plan.environment[env]! })),
    ports: plan.ports.map((port) => ({ name: portName(port), containerPort: port, protocol: 'TCP' as const })),
    resources: plan.memoryMiB === undefined ? {} : { limits: { memory: `${plan.memoryMiB}Mi` } },
  };
  const objects: TaskObjects = {
    plan,
    key,
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: metadata(),
      spec: {
        replicas: plan.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            // A product gets no credentials for the cluster it runs on, and sees exactly the
            // environment its task declares: no variables for every Service in the namespace.
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
            containers: [container],
          },
        },
      },
    },
  };
  if (plan.ports.length > 0) {
    objects.service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: plan.ports.map((port) => ({ name: portName(port), port, targetPort: port, protocol: 'TCP' as const })),
      },
    };
  }
  return objects;
}

/** The shape of a live object as far as drift detection reads it (a client model or plain JSON). */
export interface LiveObject {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: unknown };
  spec?: unknown;
}

/**
 * The fields this orchestrator manages, read the same way from what it applies and from what
 * the API server returns: only the fields it sets (the server's defaults, such as a container's
 * pull policy or a Service's cluster IP, are not in it), its own labels and annotations (not
 * another tool's, such as `kubectl rollout restart`'s), and memory as bytes (the server writes
 * quantities in canonical form: `1024Mi` comes back as `1Gi`).
 */
export function stateOf(object: LiveObject): unknown {
  const metadata = object.metadata ?? {};
  const common = {
    kind: object.kind,
    name: metadata.name,
    labels: own(metadata.labels),
    annotations: own(metadata.annotations, [KUBE_ANNOTATIONS.applied]),
  };
  if (object.kind === 'Service') {
    const spec = (object.spec ?? {}) as { type?: string; selector?: Record<string, string>; ports?: { name?: string; port?: number; targetPort?: unknown; protocol?: string }[] };
    return {
      ...common,
      type: spec.type ?? 'ClusterIP',
      selector: spec.selector ?? {},
      ports: (spec.ports ?? []).map((p) => [p.name ?? null, p.port ?? null, p.targetPort ?? p.port ?? null, p.protocol ?? 'TCP']),
    };
  }
  const spec = (object.spec ?? {}) as {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> & { containers?: Partial<ContainerManifest & { resources: { limits?: Record<string, string> } }>[] } };
  };
  const pod = spec.template?.spec ?? {};
  return {
    ...common,
    replicas: spec.replicas ?? 1,
    selector: spec.selector?.matchLabels ?? {},
    podLabels: own(spec.template?.metadata?.labels),
    automount: pod.automountServiceAccountToken ?? null,
    serviceLinks: pod.enableServiceLinks ?? null,
    grace: pod.terminationGracePeriodSeconds ?? null,
    containers: (pod.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      args: c.args ?? [],
      // An empty value comes back absent (Go's omitempty).
      env: (c.env ?? []).map((e) => [e.name, e.value ?? '']),
      ports: (c.ports ?? []).map((p) => [p.name ?? null, p.containerPort, p.protocol ?? 'TCP']),
      memory: quantityBytes(c.resources?.limits?.memory),
    })),
  };
}

/** SHA-256 (hex) of `stateOf(object)`. */
export function appliedHash(object: LiveObject): string {
  return createHash('sha256').update(canonicalJson(stateOf(object))).digest('hex');
}

/** Whether a live object still holds what was applied to it (no one edited, scaled or removed a field the agent sets). */
export function matchesApplied(object: LiveObject): boolean {
  const recorded = object.metadata?.annotations?.[KUBE_ANNOTATIONS.applied];
  return recorded !== undefined && recorded === appliedHash(object);
}

/** Labels or annotations under this orchestrator's prefix (and `managed-by`), minus `except`. */
function own(map: Record<string, string> | undefined, except: string[] = []): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) {
    if ((key.startsWith(OWN_PREFIX) || key === KUBE_LABELS.managedBy) && !except.includes(key)) result[key] = value;
  }
  return result;
}

const SUFFIXES: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity (`256Mi`, `1Gi`, `268435456`, `1e9`) in bytes; `null` when absent or unreadable. */
export function quantityBytes(quantity: unknown): number | null {
  if (typeof quantity === 'number') return quantity;
  if (typeof quantity !== 'string') return null;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([KMGTPE]i|[kMGTPE])|[eE]([+-]?\d+))?$/.exec(quantity.trim());
  if (!match) return null;
  const value = Number(match[1]) * (match[3] !== undefined ? 10 ** Number(match[3]) : SUFFIXES[match[2] ?? '']!);
  return Number.isFinite(value) ? value : null;
}
