/**
 * `hsp instances deploy --wire INTERFACE=INSTANCE`: which instance on the platform provides one
 * of the build's dependencies, kept as `launch_bindings.wiring` (`{ "<interface id>": "<instance
 * id>" }`) for the agent. Without it the agent wires each dependency to the platform's oldest
 * deployed instance that exposes the interface; a pin makes the choice explicit when several
 * do. Checked before the instance is created, so that a typo is not discovered at deploy time:
 * the interface must exist and be one the build depends on, and the instance must be on the
 * platform and expose it (or an interface that stands in for it).
 */
import type { Interface, Marketplace } from '../../index.js';
import { NotFoundError, PermissionDeniedError } from '../../sdk/errors.js';
import { FailureError, UsageError } from '../errors.js';
import { interfaceLookup } from './lookups.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WireFlag {
  /** As typed: the interface's name, URI or id. */
  interface: string;
  instanceId: string;
  /** The whole flag value, for messages. */
  text: string;
}

/** Splits each `--wire` value; what cannot be right whatever the marketplace holds is a usage error. */
export function parseWireFlags(values: readonly string[]): WireFlag[] {
  return values.map((text) => {
    // At the last "=": an instance id has none, an interface's URI may.
    const at = text.lastIndexOf('=');
    if (at < 1 || at === text.length - 1) {
      throw new UsageError(`--wire must be INTERFACE=INSTANCE (the interface's name, URI or id, and the id of the instance that provides it), got ${JSON.stringify(text)}.`);
    }
    const instanceId = text.slice(at + 1).trim();
    if (!UUID.test(instanceId)) throw new UsageError(`--wire ${JSON.stringify(text)}: ${JSON.stringify(instanceId)} is not an instance id (a UUID); "hsp instances list" shows them.`);
    return { interface: text.slice(0, at).trim(), instanceId: instanceId.toLowerCase(), text };
  });
}

export interface WiringTarget {
  client: Marketplace;
  userId: string;
  platformId: string;
  /** The platform as typed, for messages. */
  platform: string;
  productId: string;
  buildId: string;
  /** The build as typed (`1.2.0 of "My App"`), for messages. */
  build: string;
}

/** `launch_bindings.wiring` for the flags, every pin checked against the marketplace. */
export async function resolveWiring(flags: readonly WireFlag[], target: WiringTarget): Promise<Record<string, string>> {
  if (!flags.length) return {};
  const { client } = target;
  const dependencies = await client.dependencies.list(target.productId, target.buildId).toArray();
  const wiring: Record<string, string> = {};
  const named: Record<string, string> = {};
  for (const flag of flags) {
    const iface = await findInterface(client, flag);
    if (!dependencies.some((d) => d.interface_id === iface.id)) {
      throw new FailureError(`Build ${target.build} does not depend on interface "${iface.name}", so --wire ${JSON.stringify(flag.text)} has nothing to wire.`);
    }
    const earlier = wiring[iface.id];
    if (earlier !== undefined && earlier !== flag.instanceId) {
      throw new FailureError(`--wire names two instances for interface "${iface.name}" (${named[iface.id]} and ${flag.text}); a dependency is wired to one.`);
    }
    await requireProvider(flag, iface, target);
    wiring[iface.id] = flag.instanceId;
    named[iface.id] = flag.text;
  }
  return wiring;
}

/** By id, else by name, else by URI, as the manifest names interfaces. */
async function findInterface(client: Marketplace, flag: WireFlag): Promise<Interface> {
  const value = flag.interface;
  if (UUID.test(value)) {
    try {
      return await client.interfaces.retrieve(value.toLowerCase());
    } catch (error) {
      if (error instanceof NotFoundError) throw new FailureError(`--wire ${JSON.stringify(flag.text)}: there is no interface with the id ${value}.`);
      throw error;
    }
  }
  const byName = (await interfaceLookup.findByName!(client, [], value)) as Interface[];
  const found = byName.length ? byName : (await client.interfaces.list({ perPage: 100 }).toArray()).filter((i) => i.uri === value);
  if (found.length === 1) return found[0]!;
  if (!found.length) throw new FailureError(`--wire ${JSON.stringify(flag.text)}: no interface has the name or URI "${value}".`);
  throw new FailureError(`--wire ${JSON.stringify(flag.text)}: several interfaces are named "${value}"; use the interface's id.`);
}

/** The instance is on the platform, and its build exposes the interface or a stand-in for it. */
async function requireProvider(flag: WireFlag, iface: Interface, target: WiringTarget): Promise<void> {
  const { client } = target;
  let instance;
  try {
    instance = await client.instances.retrieve(target.userId, target.platformId, flag.instanceId);
  } catch (error) {
    if (error instanceof NotFoundError) throw new FailureError(`--wire ${JSON.stringify(flag.text)}: platform ${target.platform} has no instance ${flag.instanceId}.`);
    throw error;
  }
  // Servers that do not say which product a build belongs to leave the exposure to the agent.
  if (!instance.product_id) return;
  let exposed: string[];
  try {
    exposed = (await client.exposures.list(instance.product_id, instance.build_id).toArray()).map((e) => e.interface_id);
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof PermissionDeniedError) return;
    throw error;
  }
  if (exposed.includes(iface.id)) return;
  const substitutes = (await client.surrogates.list(iface.id).toArray()).map((s) => s.substitute_id);
  if (exposed.some((id) => substitutes.includes(id))) return;
  throw new FailureError(`--wire ${JSON.stringify(flag.text)}: instance ${flag.instanceId} runs a build that does not expose interface "${iface.name}".`);
}
