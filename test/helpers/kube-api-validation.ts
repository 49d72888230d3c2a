/**
 * How the stub Kubernetes API server (kube-api-stub.ts) judges a Deployment or Service body, in
 * three steps, as the real API server does:
 *
 * 1. Unknown fields. Server-side apply refuses a field the schema does not declare ("field not
 *    declared in schema"). kubernetes-models' validators do not check for extra properties
 *    (the Kubernetes OpenAPI schemas do not say `additionalProperties: false`), so the body is
 *    validated through a Proxy that records which properties the generated validator looks
 *    at: each validator reads every property its schema declares, so any other key of an object
 *    it looked into is unknown. An object whose validator read nothing is a free-form map.
 * 2. The OpenAPI schema of the kind (types, required fields, formats such as quantities),
 *    with kubernetes-models' generated validators.
 * 3. What the schema cannot say and the API server's validation code checks (names, label
 *    syntax, selector against template labels, container and port names, port ranges,
 *    environment variable names, Service port rules): the rules of
 *    k8s.io/apimachinery/pkg/util/validation and pkg/apis/{core,apps}/validation that the
 *    agent's objects touch.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';

export type Kind = 'Deployment' | 'Service';

/** A `StatusCause`, as the API server lists them in a 422 `Status`. */
export interface Cause {
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueTooLong' | 'FieldValueTypeInvalid';
  message: string;
  field: string;
}

type Json = Record<string, unknown>;

const MODELS: Record<Kind, { prototype: { validate(): void } }> = { Deployment, Service };

/**
 * Paths (`.spec.template.spec.containers[0].foo`) of the fields the kind's schema does not
 * declare, with the causes the schema itself finds (step 2), from one pass of the validator.
 */
export function schemaCheck(kind: Kind, body: unknown): { unknown: string[]; causes: Cause[] } {
  const reads = new WeakMap<object, Set<string>>();
  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (!reads.has(value)) reads.set(value, new Set());
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') reads.get(target)!.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
    });
  };
  const causes: Cause[] = [];
  try {
    MODELS[kind].prototype.validate.call(wrap(body));
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; keyword: string; message?: string; params?: Record<string, unknown> }[] }).errors;
    if (!Array.isArray(errors)) throw error;
    for (const e of errors) {
      // `oneOf` follows from the errors of its branches (an int-or-string or a quantity), already listed.
      if (e.keyword === 'oneOf') continue;
      const field = fieldOf(e.instancePath);
      if (e.keyword === 'required') causes.push({ reason: 'FieldValueRequired', field: join(field, String(e.params?.missingProperty)), message: 'Required value' });
      else if (e.keyword === 'type') causes.push({ reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${shown(valueAt(body, e.instancePath))}: ${field} in body must be of type ${String(e.params?.type)}` });
      else if (e.keyword === 'enum') causes.push({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${shown(valueAt(body, e.instancePath))}` });
      else causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown(valueAt(body, e.instancePath))}: ${e.message ?? e.keyword}` });
    }
  }
  const unknown: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${path}[${index}]`));
      return;
    }
    const read = reads.get(value);
    for (const key of Object.keys(value)) {
      // Never looked into (its parent key was unknown), or a free-form map: nothing to say.
      if (read && read.size > 0 && !read.has(key)) unknown.push(`${path}.${key}`);
      else walk((value as Json)[key], `${path}.${key}`);
    }
  };
  walk(body, '');
  return { unknown, causes };
}

// ---------------------------------------------------------------------------------------------
// Step 3: the API server's own validation, for the fields these objects use.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const TOTAL_ANNOTATION_BYTES = 256 * 1024;

export function semanticCauses(kind: Kind, body: Json): Cause[] {
  const causes: Cause[] = [];
  const invalid = (field: string, value: unknown, detail: string) => causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown(value)}: ${detail}` });
  const required = (field: string) => causes.push({ reason: 'FieldValueRequired', field, message: 'Required value' });
  const notSupported = (field: string, value: unknown, allowed: string[]) =>
    causes.push({ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${shown(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}` });
  const duplicate = (field: string, value: unknown) => causes.push({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${shown(value)}` });

  const metadata = (body.metadata ?? {}) as Json;
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') required('metadata.name');
  else if (kind === 'Service' && (name.length > 63 || !DNS1035_LABEL.test(name))) {
    invalid('metadata.name', name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (at most 63 characters)");
  } else if (kind === 'Deployment' && (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))) {
    invalid('metadata.name', name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
  }
  labels(metadata.labels, 'metadata.labels', invalid);
  if (metadata.annotations && typeof metadata.annotations === 'object') {
    let size = 0;
    for (const [key, value] of Object.entries(metadata.annotations as Json)) {
      qualifiedName(key, 'metadata.annotations', invalid);
      size += key.length + String(value).length;
    }
    if (size > TOTAL_ANNOTATION_BYTES) causes.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: must have at most ${TOTAL_ANNOTATION_BYTES} bytes` });
  }

  const spec = (body.spec ?? {}) as Json;
  if (kind === 'Deployment') {
    if (typeof spec.replicas === 'number' && spec.replicas < 0) invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0');
    const selector = (spec.selector ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    const matchLabels = selector.matchLabels ?? {};
    if (Object.keys(matchLabels).length === 0 && (selector.matchExpressions ?? []).length === 0) invalid('spec.selector', selector, 'empty selector is invalid for deployment');
    labels(matchLabels, 'spec.selector.matchLabels', invalid);
    const template = (spec.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: Json };
    const templateLabels = template.metadata?.labels ?? {};
    labels(templateLabels, 'spec.template.metadata.labels', invalid);
    if (!Object.entries(matchLabels).every(([key, value]) => templateLabels[key] === value)) {
      invalid('spec.template.metadata.labels', templateLabels, '`selector` does not match template `labels`');
    }
    const strategy = (spec.strategy ?? {}) as { type?: string };
    if (strategy.type !== undefined && !['RollingUpdate', 'Recreate'].includes(strategy.type)) notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']);
    podSpec((template.spec ?? {}) as Json, 'spec.template.spec', { invalid, required, notSupported, duplicate });
  } else {
    const type = spec.type ?? 'ClusterIP';
    const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
    if (typeof type !== 'string' || !types.includes(type)) notSupported('spec.type', type, types);
    labels(spec.selector, 'spec.selector', invalid);
    const ports = Array.isArray(spec.ports) ? (spec.ports as Json[]) : [];
    if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None') required('spec.ports');
    const names = new Set<string>();
    const ports_ = new Set<string>();
    ports.forEach((port, index) => {
      const at = `spec.ports[${index}]`;
      if (ports.length > 1 && (typeof port.name !== 'string' || port.name === '')) required(`${at}.name`);
      if (typeof port.name === 'string' && port.name !== '') {
        ianaName(port.name, `${at}.name`, invalid);
        if (names.has(port.name)) duplicate(`${at}.name`, port.name);
        names.add(port.name);
      }
      if (typeof port.port !== 'number' || port.port < 1 || port.port > 65535) invalid(`${at}.port`, port.port, 'must be between 1 and 65535, inclusive');
      const protocol = port.protocol ?? 'TCP';
      if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) notSupported(`${at}.protocol`, protocol, PROTOCOLS);
      const key = `${String(port.port)}/${String(protocol)}`;
      if (ports_.has(key)) duplicate(at, { port: port.port, protocol });
      ports_.add(key);
      const target = port.targetPort;
      if (typeof target === 'number' && (target < 1 || target > 65535)) invalid(`${at}.targetPort`, target, 'must be between 1 and 65535, inclusive');
      if (typeof target === 'string') ianaName(target, `${at}.targetPort`, invalid);
    });
  }
  return causes;
}

interface Report {
  invalid: (field: string, value: unknown, detail: string) => void;
  required: (field: string) => void;
  notSupported: (field: string, value: unknown, allowed: string[]) => void;
  duplicate: (field: string, value: unknown) => void;
}

function podSpec(spec: Json, at: string, report: Report): void {
  const { invalid, required, notSupported, duplicate } = report;
  // A Deployment's pods always restart (apps/validation).
  if (spec.restartPolicy !== undefined && spec.restartPolicy !== 'Always') notSupported(`${at}.restartPolicy`, spec.restartPolicy, ['Always']);
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) invalid(`${at}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0');
  const containers = Array.isArray(spec.containers) ? (spec.containers as Json[]) : [];
  if (containers.length === 0) required(`${at}.containers`);
  const names = new Set<string>();
  containers.forEach((container, index) => {
    const c = `${at}.containers[${index}]`;
    const name = container.name;
    if (typeof name !== 'string' || name === '') required(`${c}.name`);
    else {
      if (name.length > 63 || !DNS1123_LABEL.test(name)) invalid(`${c}.name`, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
      if (names.has(name)) duplicate(`${c}.name`, name);
      names.add(name);
    }
    const image = container.image;
    if (typeof image !== 'string' || image === '') required(`${c}.image`);
    else if (image.trim() !== image) invalid(`${c}.image`, image, 'must not have leading or trailing whitespace');
    const portNames = new Set<string>();
    (Array.isArray(container.ports) ? (container.ports as Json[]) : []).forEach((port, p) => {
      const pp = `${c}.ports[${p}]`;
      if (typeof port.containerPort !== 'number' || port.containerPort < 1 || port.containerPort > 65535) invalid(`${pp}.containerPort`, port.containerPort, 'must be between 1 and 65535, inclusive');
      const protocol = port.protocol ?? 'TCP';
      if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) notSupported(`${pp}.protocol`, protocol, PROTOCOLS);
      if (typeof port.name === 'string' && port.name !== '') {
        ianaName(port.name, `${pp}.name`, invalid);
        if (portNames.has(port.name)) duplicate(`${pp}.name`, port.name);
        portNames.add(port.name);
      }
    });
    (Array.isArray(container.env) ? (container.env as Json[]) : []).forEach((env, e) => {
      const name = env.name;
      // Kubernetes 1.30+ accepts any printable ASCII but "=" (older ones wanted a C identifier).
      if (typeof name !== 'string' || name === '') required(`${c}.env[${e}].name`);
      else if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(name)) invalid(`${c}.env[${e}].name`, name, 'a valid environment variable name must consist only of printable ASCII characters other than \'=\'');
    });
    const resources = (container.resources ?? {}) as { limits?: Record<string, string>; requests?: Record<string, string> };
    for (const [resource, request] of Object.entries(resources.requests ?? {})) {
      const limit = resources.limits?.[resource];
      if (limit !== undefined && bytes(request) > bytes(limit)) invalid(`${c}.resources.requests[${resource}]`, request, `must be less than or equal to ${resource} limit of ${limit}`);
    }
  });
}

function labels(map: unknown, at: string, invalid: Report['invalid']): void {
  if (!map || typeof map !== 'object') return;
  for (const [key, value] of Object.entries(map as Json)) {
    qualifiedName(key, at, invalid);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      invalid(`${at}`, value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)");
    }
  }
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
function qualifiedName(key: string, at: string, invalid: Report['invalid']): void {
  const parts = key.split('/');
  const name = parts.at(-1)!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  const ok = parts.length <= 2 && name.length <= 63 && QUALIFIED_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix)));
  if (!ok) invalid(at, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'");
}

/** IANA_SVC_NAME: what a port may be named. */
function ianaName(name: string, at: string, invalid: Report['invalid']): void {
  if (name.length > 15) invalid(at, name, 'must be no more than 15 characters');
  else if (!/^[-a-z0-9]+$/.test(name)) invalid(at, name, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  else if (!/[a-z]/.test(name)) invalid(at, name, 'must contain at least one letter (a-z)');
  else if (name.startsWith('-') || name.endsWith('-') || name.includes('--')) invalid(at, name, 'must not begin or end with a hyphen, nor contain adjacent hyphens');
}

const SUFFIX: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A quantity's value (the schema has already checked its syntax). */
export function bytes(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?[\d.]+)([KMGTPE]i|[mkMGTPE])?$/.exec(quantity);
  return match ? Number(match[1]) * SUFFIX[match[2] ?? '']! : Number.NaN;
}

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
function fieldOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
}

function join(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

function valueAt(body: unknown, instancePath: string): unknown {
  let value = body;
  for (const part of instancePath.split('/').slice(1)) value = (value as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return value;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
