/**
 * The JSON fields that become a running task's settings, checked when they are written: a task's
 * `environment`, `ports` and `options` against the specification's task schema, and a
 * dependency's `mappings` against what the agent's autowiring reads. Without this, a marketplace
 * stores whatever it is sent, and the mistake surfaces only when an agent refuses to deploy it
 * ("environment is not a list"), long after, to someone else.
 *
 * Only writes are checked: rows written before (or by another server) stay readable as stored.
 * The generic values layer has already made each JSON field JSON text (a JSON-encoded string
 * arriving from a reference-server client included) and bounded its size and nesting.
 */
import { HttpError } from '../../errors.js';
import type { Row } from '../definition.js';

/** Environment variable names the specification allows (and what containers and shells accept). */
export const VARIABLE_NAME = /^[A-Z0-9_]+$/;
const MAX_NAME_LENGTH = 255;
/** The keys of an environment entry: the specification's task schema, plus `pattern` from its build schema. */
const ENTRY_KEYS = new Set(['key', 'description', 'required', 'default', 'pattern']);

type Errors = Record<string, string[]>;

/** Refuses a task write whose runtime fields do not have the specification's shapes; one 422 with every problem. */
export function checkTaskFields(values: Row, existing: Row | undefined): void {
  const errors: Errors = {};
  const add = (field: string, message: string) => void (errors[field] ??= []).push(message);
  const environment = parsed(values, 'environment');
  if (environment !== undefined) for (const message of environmentProblems(environment)) add('environment', message);
  const ports = parsed(values, 'ports');
  if (ports !== undefined) for (const message of portProblems(ports)) add('ports', message);
  const options = parsed(values, 'options');
  if (options !== undefined) for (const message of optionProblems(options)) add('options', message);
  // `maximum` 0 is the reference server's default for a task that names none: no upper bound.
  const minimum = values.minimum ?? existing?.minimum;
  const maximum = values.maximum ?? existing?.maximum;
  if ((values.minimum !== undefined || values.maximum !== undefined) && typeof minimum === 'number' && typeof maximum === 'number' && maximum > 0 && maximum < minimum) {
    add(values.maximum !== undefined ? 'maximum' : 'minimum', values.maximum !== undefined ? `must be at least the minimum (${minimum}), or 0 for no maximum` : `must be at most the maximum (${maximum})`);
  }
  refuse(errors);
}

/** Refuses a dependency write whose `mappings` is not an object of variable names to text. */
export function checkDependencyFields(values: Row): void {
  const mappings = parsed(values, 'mappings');
  if (mappings === undefined) return;
  const problems = mappingProblems(mappings);
  if (problems.length) refuse({ mappings: problems });
}

/** `{ NAME: "source" }`: each variable the dependent gets, and where its value comes from (a parameter, `url`, `host`, `port`, or a `{placeholder}` template of those). */
export function mappingProblems(mappings: unknown): string[] {
  if (!isObject(mappings)) return ['must be a JSON object of variable names to sources, such as {"FHIR_BASE_URL": "url"}'];
  const problems: string[] = [];
  for (const [name, source] of Object.entries(mappings)) {
    const problem = nameProblem(name);
    if (problem) problems.push(`has the variable name ${quoted(name)}, which ${problem}`);
    if (typeof source !== 'string') problems.push(`${quoted(name)} must map to text (a parameter name, url, host, port, or a template such as "http://{host}:{port}/fhir"), not ${kind(source)}`);
  }
  return problems;
}

function environmentProblems(environment: unknown): string[] {
  if (!Array.isArray(environment)) {
    return [`must be a list of variables such as [{"key": "LOG_LEVEL", "description": "How much to log", "default": "info"}], not ${kind(environment)}`];
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  environment.forEach((entry: unknown, i) => {
    const at = `[${i}]`;
    if (!isObject(entry)) return void problems.push(`${at} must be an object with a key, not ${kind(entry)}`);
    const unknown = Object.keys(entry).filter((key) => !ENTRY_KEYS.has(key));
    if (unknown.length) problems.push(`${at} has ${unknown.map(quoted).join(', ')}; a variable has only key, description, required, default and pattern`);
    const { key } = entry;
    if (key === undefined || key === null) problems.push(`${at}.key is missing; every variable needs a name`);
    else if (typeof key !== 'string') problems.push(`${at}.key must be text, not ${kind(key)}`);
    else {
      const problem = nameProblem(key);
      if (problem) problems.push(`${at}.key ${quoted(key)} ${problem}`);
      else if (seen.has(key)) problems.push(`${at}.key ${key} is declared twice; each variable is declared once`);
      seen.add(key);
    }
    for (const field of ['description', 'default', 'pattern'] as const) {
      const value = entry[field];
      if (value !== undefined && value !== null && typeof value !== 'string') problems.push(`${at}.${field} must be text, not ${kind(value)}`);
    }
    if (entry.required !== undefined && entry.required !== null && typeof entry.required !== 'boolean') problems.push(`${at}.required must be true or false, not ${kind(entry.required)}`);
  });
  return problems;
}

function portProblems(ports: unknown): string[] {
  if (!Array.isArray(ports)) return [`must be a list of port numbers such as [8080], not ${kind(ports)}`];
  const problems: string[] = [];
  const seen = new Set<number>();
  ports.forEach((port: unknown, i) => {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) problems.push(`[${i}] ${quoted(port)} is not a port number from 1 to 65535`);
    else if (seen.has(port)) problems.push(`[${i}] ${port} is listed twice`);
    else seen.add(port);
  });
  return problems;
}

function optionProblems(options: unknown): string[] {
  if (!Array.isArray(options)) return [`must be a list of arguments such as ["--mode", "production"], not ${kind(options)}`];
  return options.flatMap((option: unknown, i) => (typeof option === 'string' ? [] : [`[${i}] must be text, not ${kind(option)}`]));
}

function nameProblem(name: string): string | undefined {
  if (!VARIABLE_NAME.test(name)) return 'is not [A-Z0-9_]+ (upper-case letters, digits and underscores)';
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** A JSON field as written (after the values layer made it JSON text); undefined when not written or cleared. */
function parsed(values: Row, field: string): unknown {
  const raw = values[field];
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
}

function refuse(errors: Errors): void {
  const [first] = Object.entries(errors);
  if (first) throw new HttpError(422, `${first[0]} ${first[1][0]}`, errors);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the text ${quoted(value)}`;
  return `${typeof value === 'number' ? 'the number' : typeof value === 'boolean' ? 'the value' : typeof value} ${String(value)}`;
}

/** A value for a message: JSON, clipped so a long one stays readable. */
function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
