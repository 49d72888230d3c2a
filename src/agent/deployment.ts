/**
 * From marketplace records to a Deployment: choose the build's default configuration, check
 * every field the agent will act on, merge the environment and fingerprint the result.
 *
 * Everything here is marketplace data, written by whoever may create builds and instances, and
 * it ends up in container settings or an operator's hook on this host. So it is pure and total:
 * any input, however malformed, gives a Deployment or a DeploymentRefused with one sentence,
 * never another exception.
 */
import { createHash } from 'node:crypto';
import type { Build, Configuration, Instance, Task } from '../index.js';
import { defaultConfiguration } from '../manifest/conventions.js';
import { describeSize } from '../size.js';
import { imageOfBuild, InvalidImageReference, type ImageReference } from './image-reference.js';
import type { Deployment } from './orchestrator.js';

/** What the listen loop fetched over REST for one instance. */
export interface DeploymentInput {
  platformId: string;
  instance: Instance;
  build: Build;
  /** The build's configurations; the default one is chosen here. */
  configurations: readonly Configuration[];
  /**
   * Tasks of the build's configurations, as one list (those of other configurations are
   * ignored, matched by `configuration_id`) or keyed by configuration id.
   */
  tasks?: readonly Task[];
  tasksByConfiguration?: Readonly<Record<string, readonly Task[]>> | ReadonlyMap<string, readonly Task[]>;
  /** What the platform gives every task (`AgentOptions.environment`), over the tasks' defaults. */
  platformEnvironment?: Readonly<Record<string, string>>;
  /** What autowiring took from the instance's providers (wiring.ts), over the platform's. */
  wiredEnvironment?: Readonly<Record<string, string>>;
  /** The claim data (`HSP_*`, claim-data.ts): the agent's, over everything. */
  claimData?: Readonly<Record<string, string>>;
}

/**
 * A Deployment as `toDeployment` makes it: it also carries the variables laid over every
 * task's defaults, so the orchestrators' `taskPlansOf` gives exactly what was fingerprinted.
 */
export interface PlannedDeployment extends Deployment {
  /** Platform environment < wired variables < the instance's input < claim data, merged. */
  overrides: Record<string, string>;
}

/** One task as it is run: every value checked and normalised. */
export interface TaskPlan {
  /** Position in the configuration (by `created_at`, then id): container names use it. */
  index: number;
  name: string;
  replicas: number;
  /** The memory limit per replica in MiB, when the task declares one. */
  memoryMiB?: number;
  ports: number[];
  /** Static arguments for the image's entrypoint. */
  options: string[];
  /** Set for scheduled tasks, which are not long-running. */
  cron?: string;
  /** This task's variables (defaults, then the instance's input), plus the rest of the input. */
  environment: Record<string, string>;
}

export class DeploymentRefused extends Error {
  override name = 'DeploymentRefused';
  constructor(
    readonly instanceId: string,
    message: string,
  ) {
    super(message);
  }
}

export const LIMITS = {
  envValueBytes: 32 * 1024,
  envTotalBytes: 256 * 1024,
  launchBindingsBytes: 64 * 1024,
  replicas: 100,
  /** 1 TiB: a sane ceiling; anything above is a typo or an attack on the host. */
  memoryMiB: 1024 * 1024,
  ports: 100,
  options: 100,
  optionBytes: 4 * 1024,
  taskNameLength: 200,
  tasks: 100,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENV_NAME = /^[A-Z0-9_]+$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The configuration an agent deploys. The marketplace has no `default` field, so publisher and
 * agent share one convention (src/manifest/conventions.ts): the build's first configuration.
 */
export function defaultConfigurationOf(configurations: readonly Configuration[]): Configuration | undefined {
  return defaultConfiguration(configurations.filter((c) => c !== null && typeof c === 'object' && isUuid(c.id)));
}

/** Checks the records and builds the Deployment; throws DeploymentRefused otherwise. */
export function toDeployment(input: DeploymentInput): PlannedDeployment {
  const instanceId = isUuid(input?.instance?.id) ? input.instance.id.toLowerCase() : undefined;
  if (!instanceId) throw new DeploymentRefused(quoted(input?.instance?.id), `The instance id ${quoted(input?.instance?.id)} is not a UUID.`);
  const refuse = (what: string) => new DeploymentRefused(instanceId, `Instance ${instanceId}: ${what}.`);
  try {
    return checkedDeployment(input, instanceId, refuse);
  } catch (error) {
    if (error instanceof DeploymentRefused) throw error;
    // Totality: a shape nobody foresaw is still one sentence about this instance.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 120);
    throw refuse(`its records could not be read (${reason})`);
  }
}

type Refuse = (what: string) => DeploymentRefused;

function checkedDeployment(input: DeploymentInput, instanceId: string, refuse: Refuse): PlannedDeployment {
  const { instance, build, platformId } = input;
  if (!isUuid(platformId)) throw refuse(`the platform id ${quoted(platformId)} is not a UUID`);
  if (String(instance.platform_id).toLowerCase() !== platformId.toLowerCase()) {
    throw refuse(`it belongs to platform ${quoted(instance.platform_id)}, not to ${platformId}`);
  }
  if (!build || !isUuid(build.id)) throw refuse(`its build id ${quoted(build?.id)} is not a UUID`);
  if (String(instance.build_id).toLowerCase() !== build.id.toLowerCase()) {
    throw refuse(`it runs build ${quoted(instance.build_id)}, but build ${build.id} was given`);
  }

  let image: ImageReference;
  try {
    image = imageOfBuild(build);
  } catch (error) {
    if (error instanceof InvalidImageReference) throw refuse(`build ${build.id}: ${lowerFirst(error.message).replace(/\.$/, '')}`);
    throw error;
  }

  const operatorInput = inputEnvironment(instance, refuse);
  const overrides = {
    ...layer(input.platformEnvironment, "the platform's environment", refuse),
    ...layer(input.wiredEnvironment, 'the wired environment', refuse),
    ...operatorInput,
    ...layer(input.claimData, 'the claim data', refuse),
  };

  if (!Array.isArray(input.configurations)) throw refuse('the configurations of its build were not given');
  const { configuration, tasks } = configurationToRun(input, build, refuse);
  if (tasks.length === 0) throw refuse(`configuration ${quoted(configuration.name)} of build ${build.id} has no tasks`);
  if (tasks.length > LIMITS.tasks) throw refuse(`configuration ${quoted(configuration.name)} has ${tasks.length} tasks; at most ${LIMITS.tasks} are allowed`);

  const plans = tasks.map((task, index) => planTask(task, index, overrides, refuse));
  const replicas = plans.reduce((sum, plan) => sum + plan.replicas, 0);
  if (replicas > LIMITS.replicas) throw refuse(`its tasks ask for ${replicas} replicas in all; at most ${LIMITS.replicas} are allowed`);
  const environment = mergedEnvironment(plans, overrides);
  checkEnvironmentSize(environment, 'the merged environment', refuse);
  for (const plan of plans) checkEnvironmentSize(plan.environment, `the environment of task ${quoted(plan.name)}`, refuse);

  return {
    platformId: platformId.toLowerCase(),
    instance,
    build,
    configuration,
    tasks,
    environment,
    overrides,
    fingerprint: fingerprintOf({ buildId: build.id, image: image.reference, tasks: plans, environment }),
  };
}

/**
 * The build's default configuration and its tasks. A build with no configuration at all runs
 * its image as the specification's first agents did: one task named `default`, one replica,
 * the image's own command, no ports declared. A build whose configurations are all unusable is
 * refused instead: the publisher meant something that cannot be read.
 */
function configurationToRun(input: DeploymentInput, build: Build, refuse: Refuse): { configuration: Configuration; tasks: Task[] } {
  if (input.configurations.length === 0) {
    const configuration = imageDefaultConfiguration(build);
    return { configuration, tasks: [imageDefaultTask(build, configuration)] };
  }
  const configuration = defaultConfigurationOf(input.configurations);
  if (!configuration) throw refuse(`build ${build.id} has no configuration that can be read`);
  return { configuration, tasks: tasksOf(input, configuration).sort(byCreation) };
}

/** The stand-in configuration of a build that has none: named `default`, with the build's id and times. */
export function imageDefaultConfiguration(build: Build): Configuration {
  return { id: build.id, build_id: build.id, name: 'default', created_at: build.created_at, updated_at: build.updated_at };
}

function imageDefaultTask(build: Build, configuration: Configuration): Task {
  return {
    id: build.id,
    configuration_id: configuration.id,
    name: 'default',
    minimum: 1,
    maximum: 1,
    memory: null,
    created_at: build.created_at,
    updated_at: build.updated_at,
  };
}

/** One of the agent's own layers of variables: names `[A-Z0-9_]+`, values text. */
function layer(environment: Readonly<Record<string, string>> | undefined, what: string, refuse: Refuse): Record<string, string> {
  if (environment === undefined) return {};
  if (!isPlainObject(environment)) throw refuse(`${what} is not an object of NAME: "value"`);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    checkEnvName(name, what, refuse);
    result[name] = checkEnvValue(value, `${what} ${name}`, refuse);
  }
  return result;
}

/** What a fingerprint covers: never the agent's own report in `launch_bindings.deployment`. */
export interface FingerprintSource {
  buildId: string;
  image: string;
  tasks: readonly TaskPlan[];
  environment: Readonly<Record<string, string>>;
}

/** SHA-256 (hex) of the canonical JSON of what runs: equal exactly when the same thing would run. */
export function fingerprintOf(source: FingerprintSource): string {
  const canonical = canonicalJson({ build: source.buildId.toLowerCase(), image: source.image, tasks: source.tasks, environment: source.environment });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The image a (validated) deployment runs. */
export function imageOf(deployment: Deployment): ImageReference {
  return imageOfBuild(deployment.build);
}

/**
 * The task plans of a deployment that `toDeployment` made, for the orchestrators: the same
 * checks run again, so they cannot disagree with the fingerprint.
 */
export function taskPlansOf(deployment: Deployment): TaskPlan[] {
  const instanceId = deployment.instance.id;
  const refuse: Refuse = (what) => new DeploymentRefused(instanceId, `Instance ${instanceId}: ${what}.`);
  // A Deployment made elsewhere (a test's, an older caller's) has only the instance's input.
  const planned = (deployment as Partial<PlannedDeployment>).overrides;
  const overrides = planned ?? inputEnvironment(deployment.instance, refuse);
  return [...deployment.tasks].sort(byCreation).map((task, index) => planTask(task, index, overrides, refuse));
}

/** The operator's input: `launch_bindings.environment`, an object of names to text. */
function inputEnvironment(instance: Instance, refuse: Refuse): Record<string, string> {
  const bindings: unknown = instance.launch_bindings ?? {};
  if (!isPlainObject(bindings)) throw refuse('launch_bindings is not a JSON object');
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(bindings), 'utf8');
  } catch {
    throw refuse('launch_bindings cannot be written as JSON');
  }
  if (size > LIMITS.launchBindingsBytes) throw refuse(`launch_bindings is ${describeSize(size)} of JSON; at most ${describeSize(LIMITS.launchBindingsBytes)} are allowed`);
  const environment: unknown = bindings.environment ?? {};
  if (!isPlainObject(environment)) throw refuse('launch_bindings.environment is not an object of NAME: "value"');
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    checkEnvName(name, 'launch_bindings.environment', refuse);
    if (isClaimDataName(name)) throw refuse(`launch_bindings.environment sets ${name}, but HSP_* variables are the claim data the agent gives every task`);
    result[name] = checkEnvValue(value, `launch_bindings.environment.${name}`, refuse);
  }
  return result;
}

/** `HSP_*`: the names the agent reserves for the claim data. */
export function isClaimDataName(name: string): boolean {
  return name.startsWith('HSP_');
}

function tasksOf(input: DeploymentInput, configuration: Configuration): Task[] {
  const byConfiguration = input.tasksByConfiguration;
  const keyed = byConfiguration instanceof Map ? byConfiguration.get(configuration.id) : (byConfiguration as Record<string, readonly Task[]> | undefined)?.[configuration.id];
  // Some servers list tasks unscoped (every configuration's), so the configuration id decides.
  const listed = keyed ?? (input.tasks ?? []).filter((task) => task?.configuration_id === configuration.id);
  if (!Array.isArray(listed)) return [];
  return listed.filter((task) => task !== null && typeof task === 'object');
}

function planTask(task: Task, index: number, input: Record<string, string>, refuse: Refuse): TaskPlan {
  const name = task.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > LIMITS.taskNameLength || CONTROL.test(name)) {
    throw refuse(`task ${index + 1} has a name ${quoted(name)} that is not 1 to ${LIMITS.taskNameLength} printable characters`);
  }
  const field = (key: string) => `task ${quoted(name)} ${key}`;

  // The reference server stores `minimum` (default 0); the specification says `instances_minimum`.
  // The agent does not autoscale, so a task runs at least once.
  const minimum = task.minimum ?? task.instances_minimum ?? 1;
  if (!isWholeNumber(minimum) || minimum < 0 || minimum > LIMITS.replicas) {
    throw refuse(`${field('minimum')} ${quoted(minimum)} is not a whole number of replicas from 0 to ${LIMITS.replicas}`);
  }

  // The specification's `memory_maximum` is the limit; the reference server's `memory` is per instance.
  const memory = task.memory_maximum ?? task.memory ?? undefined;
  if (memory !== undefined && (!isWholeNumber(memory) || memory < 1 || memory > LIMITS.memoryMiB)) {
    throw refuse(`${field('memory')} ${quoted(memory)} is not a whole number of MiB from 1 to ${LIMITS.memoryMiB}`);
  }

  const ports = arrayField(task.ports, field('ports'), refuse);
  if (ports.length > LIMITS.ports) throw refuse(`${field('ports')} lists ${ports.length} ports; at most ${LIMITS.ports} are allowed`);
  for (const port of ports) {
    if (!isWholeNumber(port) || port < 1 || port > 65535) throw refuse(`${field('ports')} has ${quoted(port)}, which is not a port from 1 to 65535`);
  }

  const options = arrayField(task.options, field('options'), refuse);
  if (options.length > LIMITS.options) throw refuse(`${field('options')} lists ${options.length} arguments; at most ${LIMITS.options} are allowed`);
  for (const option of options) {
    if (typeof option !== 'string' || option.includes('\u0000') || Buffer.byteLength(option) > LIMITS.optionBytes) {
      throw refuse(`${field('options')} has ${quoted(option)}, which is not text of at most ${describeSize(LIMITS.optionBytes)}`);
    }
  }

  const cron: unknown = task.cron;
  if (cron !== undefined && cron !== null && (typeof cron !== 'string' || cron.length > 200 || CONTROL.test(cron))) {
    throw refuse(`${field('cron')} ${quoted(cron)} is not a schedule of at most 200 printable characters`);
  }

  return {
    index,
    name,
    replicas: Math.max(1, minimum),
    ...(memory === undefined ? {} : { memoryMiB: memory }),
    ports: [...new Set(ports as number[])],
    options: options as string[],
    ...(typeof cron === 'string' && cron !== '' ? { cron } : {}),
    environment: taskEnvironment(task, field('environment'), input, refuse),
  };
}

/**
 * A task's variables: its defaults, overridden by the agent's layers (the platform's
 * environment, the wired variables, the instance's input, the claim data), plus every other
 * variable of those layers (an operator may set variables the build does not declare, such as
 * a collector URL).
 * A variable's `pattern` is not enforced: running a marketplace-supplied regular expression on
 * the host invites catastrophic backtracking, and the image checks its own input.
 */
function taskEnvironment(task: Task, field: string, input: Record<string, string>, refuse: Refuse): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const variable of arrayField(task.environment, field, refuse)) {
    if (!isPlainObject(variable)) throw refuse(`${field} has an entry that is not an object`);
    const key = variable.key;
    if (typeof key !== 'string') throw refuse(`${field} has an entry whose key ${quoted(key)} is not text`);
    checkEnvName(key, field, refuse);
    const fallback = variable.default;
    if (Object.hasOwn(input, key)) environment[key] = input[key] as string;
    else if (fallback !== undefined && fallback !== null) environment[key] = checkEnvValue(fallback, `${field} ${key} default`, refuse);
    else if (variable.required === true) throw refuse(`${field} ${key} is required, and neither a default, the platform's environment, autowiring nor launch_bindings.environment gives it a value`);
  }
  return { ...environment, ...input };
}

/** One environment for the whole deployment: the first task's default wins, the overrides over all. */
function mergedEnvironment(plans: readonly TaskPlan[], input: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const plan of plans) for (const [key, value] of Object.entries(plan.environment)) if (!Object.hasOwn(merged, key)) merged[key] = value;
  return { ...merged, ...input };
}

function checkEnvName(name: string, field: string, refuse: Refuse): void {
  if (!ENV_NAME.test(name) || name.length > 255) throw refuse(`${field} has the variable name ${quoted(name)}, which is not [A-Z0-9_]+`);
}

function checkEnvValue(value: unknown, field: string, refuse: Refuse): string {
  if (typeof value !== 'string') throw refuse(`${field} is not text`);
  if (value.includes('\u0000')) throw refuse(`${field} contains a NUL character`);
  if (Buffer.byteLength(value, 'utf8') > LIMITS.envValueBytes) throw refuse(`${field} is longer than ${describeSize(LIMITS.envValueBytes)}`);
  return value;
}

function checkEnvironmentSize(environment: Record<string, string>, what: string, refuse: Refuse): void {
  let total = 0;
  for (const [key, value] of Object.entries(environment)) total += Buffer.byteLength(key) + 1 + Buffer.byteLength(value);
  if (total > LIMITS.envTotalBytes) throw refuse(`${what} is ${describeSize(total)}; at most ${describeSize(LIMITS.envTotalBytes)} are allowed`);
}

function arrayField(value: unknown, field: string, refuse: Refuse): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw refuse(`${field} is not a list`);
  return value;
}

/** JSON with object keys sorted at every level, so equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    isPlainObject(item) ? Object.fromEntries(Object.keys(item).sort().map((key) => [key, item[key]])) : item,
  );
}

/** Oldest first, then by id: the same order whatever order a server lists them in. */
export function byCreation(a: { created_at?: string; id: string }, b: { created_at?: string; id: string }): number {
  const at = Date.parse(String(a.created_at));
  const bt = Date.parse(String(b.created_at));
  if (at !== bt && !(Number.isNaN(at) && Number.isNaN(bt))) return Number.isNaN(at) ? 1 : Number.isNaN(bt) ? -1 : at - bt;
  return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A value quoted for a message: JSON-escaped, and clipped so a huge value stays short. */
export function quoted(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
