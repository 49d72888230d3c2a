/**
 * Autowiring: the variables a dependent instance gets from the instances on its platform that
 * expose the interfaces its build depends on.
 *
 * A build's Dependency names an Interface (`required` or not) and `mappings`, an object of
 * `{ "<ENV_NAME>": "<source>" }` (or a JSON-encoded string of one). A source is one of the
 * provider exposure's Parameters (the provider's value of that variable, as it was deployed), a
 * built-in (`url`, `host`, `port` of the provider's first endpoint: lower case, so they cannot
 * collide with parameter names, which are `[A-Z0-9_]+`) or a template of those, such as
 * `"http://{host}:{port}/fhir"`. Absent or empty mappings give each of the exposure's
 * parameters under its own name.
 *
 * A provider is another instance of the platform whose build exposes the interface (or one of
 * its Surrogates' substitutes) and that is deployed, with an endpoint. The dependent's
 * `launch_bindings.wiring` (`{ "<interface id>": "<instance id>" }`) may pin one; otherwise the
 * oldest wins (created_at, then id), so the choice does not change while nothing changes.
 *
 * Pure and total, like deployment.ts: marketplace data in, the wired variables or one sentence
 * out, never an exception.
 */
import type { Dependency } from '../index.js';
import { byCreation, quoted } from './deployment.js';
import type { Endpoint } from './orchestrator.js';

/** One instance of the platform, as wiring sees it. */
export interface WiringNode {
  id: string;
  created_at: string;
  /** The dependencies of its build. */
  dependencies: readonly Dependency[];
  /** The interfaces its build exposes, each with its parameters' names. */
  exposures: readonly { interfaceId: string; parameters: readonly string[] }[];
  /** Its `launch_bindings.wiring`, as the record has it (checked here). */
  pins: unknown;
  /** Where it is reached, from its trusted report; empty while it is not deployed. */
  endpoints: readonly Endpoint[];
  /** The variables it was deployed with (its input, else the platform's, else its tasks' defaults): parameter values. */
  environment: Readonly<Record<string, string>>;
}

export interface WiringInput {
  /** The instance to wire; it is also one of `nodes`. */
  dependentId: string;
  /** Every instance of the platform whose build could be read. */
  nodes: readonly WiringNode[];
  /** Interface id → the interfaces that may stand in for it (its Surrogates' substitutes). */
  substitutes: ReadonlyMap<string, readonly string[]>;
  /** Interface id → its name, for sentences. */
  interfaceNames: ReadonlyMap<string, string>;
}

export type Wiring =
  /** `providers`: interface id → the instance that provides it, for every dependency wired. */
  | { wired: true; environment: Record<string, string>; providers: Record<string, string> }
  /**
   * Not deployable now. `waiting`: a provider is missing (one may appear: try again later, and
   * whenever a provider changes); otherwise the records are wrong and only an edit helps.
   */
  | { wired: false; reason: string; waiting: boolean };

export const BUILT_INS = ['url', 'host', 'port'] as const;
const ENV_NAME = /^[A-Z0-9_]+$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Enough for any real template; a longer value is a mistake or an attack on the host's memory. */
const MAX_SOURCE_LENGTH = 2048;

class Refusal {
  constructor(
    readonly reason: string,
    readonly waiting: boolean,
  ) {}
}

/** The dependent's wired variables, or why it cannot be deployed now. */
export function wire(input: WiringInput): Wiring {
  const dependentId = String(input?.dependentId).toLowerCase();
  try {
    return wireChecked(input, dependentId);
  } catch (error) {
    if (error instanceof Refusal) return { wired: false, reason: error.reason, waiting: error.waiting };
    // Totality: a shape nobody foresaw is still one sentence about this instance.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 120);
    return { wired: false, reason: `Instance ${dependentId}: its dependencies could not be read (${reason}).`, waiting: false };
  }
}

function wireChecked(input: WiringInput, dependentId: string): Wiring {
  const nodes = new Map(input.nodes.map((node) => [node.id.toLowerCase(), node]));
  const dependent = nodes.get(dependentId);
  const refuse = (what: string, waiting = false) => new Refusal(`Instance ${dependentId}: ${what}.`, waiting);
  if (!dependent) throw refuse('it is not among the platform\u2019s instances');
  const graph = new Graph(input, nodes);
  const dependencies = [...dependent.dependencies].filter(isObject).sort(byCreation);
  const pins = checkedPins(dependent.pins, refuse);
  const mappings = new Map(dependencies.map((dependency) => [dependency, checkedMappings(dependency, graph, refuse)]));

  const cycle = graph.cycleThrough(dependentId);
  if (cycle) throw refuse(`its required dependencies form a cycle (${cycle}), so none of them can be deployed first`);

  const environment: Record<string, string> = {};
  const setBy = new Map<string, string>();
  const providers: Record<string, string> = {};
  for (const dependency of dependencies) {
    const interfaceId = String(dependency.interface_id).toLowerCase();
    const what = `interface ${graph.nameOf(interfaceId)}`;
    const required = dependency.required === true;
    const pinned = pins.get(interfaceId);
    const provider = graph.provider(dependent, interfaceId, pinned, { deployedOnly: true });
    if (!provider) {
      if (!required) continue;
      if (pinned) {
        throw refuse(`it needs ${what} (required) from instance ${pinned}, as launch_bindings.wiring says, and that instance is not deployed on this platform or does not expose it`, true);
      }
      throw refuse(`it needs ${what} (required), and no deployed instance on this platform exposes it`, true);
    }
    providers[interfaceId] = provider.node.id.toLowerCase();
    const sources = mappings.get(dependency)!;
    const entries = sources.size > 0 ? [...sources] : provider.parameters.filter((name) => !name.startsWith('HSP_')).map((name) => [name, name] as const);
    for (const [name, source] of entries) {
      const value = evaluate(source, provider, (placeholder) =>
        refuse(`its dependency on ${what} maps ${name} to ${quoted(source)}, and ${quoted(placeholder)} is neither a parameter of the exposure nor url, host or port`),
      );
      const other = setBy.get(name);
      if (other !== undefined && other !== interfaceId) throw refuse(`its dependencies on interfaces ${graph.nameOf(other)} and ${graph.nameOf(interfaceId)} both set ${name}`);
      setBy.set(name, interfaceId);
      if (value !== undefined) environment[name] = value;
    }
  }
  return { wired: true, environment, providers };
}

interface Provider {
  node: WiringNode;
  /** The parameters of the exposure through which it provides the interface. */
  parameters: string[];
}

/** The platform's instances as providers of each other. */
class Graph {
  constructor(
    private readonly input: WiringInput,
    private readonly nodes: ReadonlyMap<string, WiringNode>,
  ) {}

  nameOf(interfaceId: string): string {
    const name = this.input.interfaceNames.get(interfaceId);
    return quoted(typeof name === 'string' && name !== '' ? name : interfaceId);
  }

  /** The interface itself first, then what may stand in for it. */
  private acceptable(interfaceId: string): string[] {
    const substitutes = this.input.substitutes.get(interfaceId) ?? [];
    return [interfaceId, ...substitutes.map((id) => String(id).toLowerCase()).filter((id) => id !== interfaceId)];
  }

  /** How `node` provides the interface, if its build exposes it (or a substitute for it). */
  private exposureOf(node: WiringNode, interfaceId: string): Provider | undefined {
    for (const acceptable of this.acceptable(interfaceId)) {
      const exposure = node.exposures.find((e) => String(e.interfaceId).toLowerCase() === acceptable);
      if (exposure) return { node, parameters: exposure.parameters.filter((p) => typeof p === 'string') };
    }
    return undefined;
  }

  /**
   * The provider `dependent` is wired to for the interface: the pinned instance, else the oldest
   * deployed one. Without `deployedOnly` (cycle finding), an undeployed one stands in when no
   * deployed one is there: it is the one that would be deployed first.
   */
  provider(dependent: WiringNode, interfaceId: string, pinned: string | undefined, options: { deployedOnly: boolean }): Provider | undefined {
    const candidates: Provider[] = [];
    for (const node of [...this.nodes.values()].sort(byCreation)) {
      if (node === dependent) continue;
      if (pinned !== undefined && node.id.toLowerCase() !== pinned) continue;
      const provider = this.exposureOf(node, interfaceId);
      if (provider) candidates.push(provider);
    }
    const deployed = candidates.find((c) => c.node.endpoints.length > 0);
    return deployed ?? (options.deployedOnly ? undefined : candidates[0]);
  }

  /**
   * A cycle of required dependencies that comes back to the instance, as a readable chain, or
   * undefined. Each instance follows the provider it would be wired to, so a cycle that another
   * provider breaks is no cycle.
   */
  cycleThrough(startId: string): string | undefined {
    const start = this.nodes.get(startId)!;
    const visited = new Set<WiringNode>();
    const path: string[] = [];
    const walk = (node: WiringNode): boolean => {
      visited.add(node);
      const pins = pinsOf(node.pins);
      for (const dependency of [...node.dependencies].filter(isObject).sort(byCreation)) {
        if (dependency.required !== true) continue;
        const interfaceId = String(dependency.interface_id).toLowerCase();
        const next = this.provider(node, interfaceId, pins.get(interfaceId), { deployedOnly: false })?.node;
        if (!next) continue;
        path.push(`${node.id.toLowerCase()} needs ${this.nameOf(interfaceId)} from ${next.id.toLowerCase()}`);
        if (next === start) return true;
        if (!visited.has(next) && walk(next)) return true;
        path.pop();
      }
      return false;
    };
    return walk(start) ? path.join(', ') : undefined;
  }
}

/** The dependent's `launch_bindings.wiring`: interface id → instance id, both UUIDs. */
function checkedPins(pins: unknown, refuse: (what: string) => Refusal): Map<string, string> {
  if (pins === undefined || pins === null) return new Map();
  if (!isObject(pins)) throw refuse('launch_bindings.wiring is not an object of "<interface id>": "<instance id>"');
  const result = new Map<string, string>();
  for (const [interfaceId, instanceId] of Object.entries(pins)) {
    if (!UUID.test(interfaceId)) throw refuse(`launch_bindings.wiring has the key ${quoted(interfaceId)}, which is not an interface id (a UUID)`);
    if (typeof instanceId !== 'string' || !UUID.test(instanceId)) throw refuse(`launch_bindings.wiring pins interface ${interfaceId} to ${quoted(instanceId)}, which is not an instance id (a UUID)`);
    result.set(interfaceId.toLowerCase(), instanceId.toLowerCase());
  }
  return result;
}

/** Another instance's pins, for finding cycles: what cannot be read pins nothing (that instance is refused on its own). */
function pinsOf(pins: unknown): Map<string, string> {
  try {
    return checkedPins(pins, (what) => new Refusal(what, false));
  } catch {
    return new Map();
  }
}

/** A dependency's mappings, as variable name → source; empty when absent or empty. */
function checkedMappings(dependency: Dependency, graph: Graph, refuse: (what: string) => Refusal): Map<string, string> {
  const what = `its dependency on interface ${graph.nameOf(String(dependency.interface_id).toLowerCase())}`;
  let mappings: unknown = dependency.mappings;
  if (typeof mappings === 'string') {
    if (mappings.trim() === '') return new Map();
    try {
      mappings = JSON.parse(mappings);
    } catch {
      throw refuse(`${what} has mappings that are not JSON`);
    }
  }
  if (mappings === undefined || mappings === null) return new Map();
  if (!isObject(mappings)) throw refuse(`${what} has mappings that are not an object of "ENV_NAME": "source"`);
  const result = new Map<string, string>();
  for (const [name, source] of Object.entries(mappings)) {
    if (!ENV_NAME.test(name) || name.length > 255) throw refuse(`${what} maps the variable name ${quoted(name)}, which is not [A-Z0-9_]+`);
    if (name.startsWith('HSP_')) throw refuse(`${what} maps ${name}, but HSP_* variables are the claim data the agent gives every task`);
    if (typeof source !== 'string' || source === '' || source.length > MAX_SOURCE_LENGTH || source.includes('\u0000')) {
      throw refuse(`${what} maps ${name} to ${quoted(source)}, which is not a parameter name, url, host, port or a template of them`);
    }
    if (/[{}]/.test(source.replace(PLACEHOLDER, ''))) throw refuse(`${what} maps ${name} to ${quoted(source)}, a template whose braces do not pair up as {name}`);
    result.set(name, source);
  }
  return result;
}

/**
 * A source's value at the provider, or undefined when the provider has no value for a parameter
 * it names (the variable is then left unset: a task that requires it says so).
 */
function evaluate(source: string, provider: Provider, unknown: (name: string) => Refusal): string | undefined {
  const valueOf = (name: string): string | undefined => {
    if ((BUILT_INS as readonly string[]).includes(name)) {
      const endpoint = provider.node.endpoints[0]!;
      return name === 'url' ? endpoint.url : name === 'host' ? endpoint.host : String(endpoint.port);
    }
    if (provider.parameters.includes(name)) {
      const value = provider.node.environment[name];
      return typeof value === 'string' ? value : undefined;
    }
    throw unknown(name);
  };
  if (!source.includes('{')) return valueOf(source);
  let missing = false;
  const value = source.replace(PLACEHOLDER, (_match, name: string) => {
    const part = valueOf(name);
    if (part === undefined) missing = true;
    return part ?? '';
  });
  return missing ? undefined : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
