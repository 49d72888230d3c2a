/**
 * What autowiring reads from the marketplace for one dependent instance: the platform's other
 * instances (with the trusted reports that say where they are reached), their builds'
 * exposures and dependencies, the interfaces' surrogates and names. wiring.ts then decides,
 * without any I/O.
 *
 * Reads are shared as the build catalogue shares them: the listing of instances must have
 * started after the caller's `listedSince` (the last change the agent made to a provider), so a
 * dependent following its provider sees that provider's new report; the rest (builds,
 * surrogates) changes rarely and is refreshed by every reconcile pass (`partsSince`).
 */
import { performance } from 'node:perf_hooks';
import { NotFoundError, type Instance, type Surrogate } from '../index.js';
import { BuildNotFoundError, type BuildCatalog, type BuildParts } from './build-catalog.js';
import { isUuid, toDeployment } from './deployment.js';
import type { Endpoint } from './orchestrator.js';
import { listInstances } from './reconcile.js';
import { trustedReportOf, type InstancePlace } from './report.js';
import { wire, type Wiring, type WiringNode } from './wiring.js';

export interface WiringFreshness {
  /** The listing of instances must have started at this `performance.now()` time or later. */
  listedSince: number;
  /** Other builds' parts and the surrogates likewise. */
  partsSince: number;
  signal?: AbortSignal;
}

/** A read shared by the callers whose freshness it meets. */
interface SharedRead<T> {
  startedAt: number;
  value: Promise<T>;
}

/** Interfaces whose names are kept; a platform uses far fewer. */
const MAX_NAMES = 1000;

export class WiringContext {
  private listing: SharedRead<Instance[]> | undefined;
  private readonly surrogates = new Map<string, SharedRead<string[]>>();
  private readonly names = new Map<string, Promise<string>>();

  constructor(
    private readonly place: InstancePlace,
    private readonly catalog: BuildCatalog,
    private readonly platformEnvironment: Readonly<Record<string, string>>,
  ) {}

  /** The wired variables of `instance` (whose build's parts are `parts`), or why it cannot be deployed now. */
  async wire(instance: Instance, parts: BuildParts, freshness: WiringFreshness): Promise<Wiring> {
    const { signal } = freshness;
    const listed = await this.instances(freshness.listedSince, signal);
    // The dependent as the caller read it, which may be newer than the listing.
    const instances = [instance, ...listed.filter((other) => other.id.toLowerCase() !== instance.id.toLowerCase())];
    // One read per build, shared by its instances (and usually cached by the last reconcile).
    const partsOfEach = await Promise.all(instances.map((other) => (other === instance ? parts : this.partsOf(other, freshness.partsSince, signal))));
    const nodes: WiringNode[] = [];
    instances.forEach((other, index) => {
      const otherParts = partsOfEach[index];
      if (otherParts) nodes.push(this.nodeOf(other, otherParts));
    });
    const interfaces = new Set<string>();
    for (const node of nodes) {
      for (const dependency of node.dependencies) {
        if (isUuid(dependency?.interface_id) && (node.id === instance.id || dependency.required === true)) interfaces.add(dependency.interface_id.toLowerCase());
      }
    }
    const substitutes = new Map<string, string[]>();
    const interfaceNames = new Map<string, string>();
    await Promise.all(
      [...interfaces].map(async (interfaceId) => {
        substitutes.set(interfaceId, await this.substitutesOf(interfaceId, freshness.partsSince, signal));
        interfaceNames.set(interfaceId, await this.nameOf(interfaceId, signal));
      }),
    );
    return wire({ dependentId: instance.id, nodes, substitutes, interfaceNames });
  }

  private instances(since: number, signal: AbortSignal | undefined): Promise<Instance[]> {
    if (this.listing && this.listing.startedAt >= since) return this.listing.value;
    const read: SharedRead<Instance[]> = { startedAt: performance.now(), value: listInstances(this.place, signal) };
    this.listing = read;
    read.value.catch(() => {
      if (this.listing === read) this.listing = undefined;
    });
    return read.value;
  }

  /** Another instance's build parts; none when its build cannot be found (it cannot run, so it provides nothing). */
  private async partsOf(instance: Instance, since: number, signal: AbortSignal | undefined): Promise<BuildParts | undefined> {
    if (!isUuid(instance.build_id)) return undefined;
    if (isUuid(instance.product_id)) this.catalog.learn(instance.build_id, instance.product_id);
    try {
      return await this.catalog.parts(instance.build_id, { since, signal });
    } catch (error) {
      if (error instanceof BuildNotFoundError) return undefined;
      throw error;
    }
  }

  private nodeOf(instance: Instance, parts: BuildParts): WiringNode {
    const bindings = instance.launch_bindings;
    const exposures = parts.exposures.map(({ exposure, parameters }) => ({ interfaceId: exposure.interface_id, parameters: parameters.map((p) => p.name) }));
    return {
      id: instance.id,
      created_at: instance.created_at,
      dependencies: parts.dependencies,
      exposures,
      pins: bindings && typeof bindings === 'object' ? bindings.wiring : undefined,
      endpoints: endpointsOf(instance),
      // Only a provider's variables are ever read.
      environment: exposures.length > 0 ? this.deployedEnvironment(instance, parts) : {},
    };
  }

  /**
   * The variables a provider runs with, for its parameters' values: its input, else the
   * platform's, else its tasks' defaults (as deployment.ts merges them, without its own wiring
   * and claim data). A provider whose records are refused falls back to its input alone.
   */
  private deployedEnvironment(instance: Instance, parts: BuildParts): Record<string, string> {
    try {
      return toDeployment({ platformId: this.place.platformId, instance, ...parts, platformEnvironment: this.platformEnvironment }).environment;
    } catch {
      const input: unknown = instance.launch_bindings?.environment;
      const own = input && typeof input === 'object' && !Array.isArray(input) ? Object.entries(input).filter(([, value]) => typeof value === 'string') : [];
      return { ...this.platformEnvironment, ...(Object.fromEntries(own) as Record<string, string>) };
    }
  }

  /** The interfaces that may stand in for this one. */
  private substitutesOf(interfaceId: string, since: number, signal: AbortSignal | undefined): Promise<string[]> {
    const cached = this.surrogates.get(interfaceId);
    if (cached && cached.startedAt >= since) return cached.value;
    const read: SharedRead<string[]> = { startedAt: performance.now(), value: this.readSubstitutes(interfaceId, signal) };
    this.surrogates.set(interfaceId, read);
    read.value.catch(() => {
      if (this.surrogates.get(interfaceId) === read) this.surrogates.delete(interfaceId);
    });
    return read.value;
  }

  private async readSubstitutes(interfaceId: string, signal: AbortSignal | undefined): Promise<string[]> {
    const substitutes: string[] = [];
    try {
      // The reference server lists every interface's surrogates here: only this one's count.
      for await (const surrogate of this.client.surrogates.list(interfaceId, { signal }) as AsyncIterable<Surrogate>) {
        if (String(surrogate?.interface_id).toLowerCase() === interfaceId && isUuid(surrogate.substitute_id)) substitutes.push(surrogate.substitute_id.toLowerCase());
      }
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
    return substitutes;
  }

  /** The interface's name for sentences; its id when it cannot be read (a name is no reason to fail). */
  private nameOf(interfaceId: string, signal: AbortSignal | undefined): Promise<string> {
    let name = this.names.get(interfaceId);
    if (!name) {
      name = this.client.interfaces.retrieve(interfaceId, { signal }).then(
        (found) => (typeof found?.name === 'string' && found.name !== '' ? found.name : interfaceId),
        () => {
          this.names.delete(interfaceId);
          return interfaceId;
        },
      );
      if (this.names.size >= MAX_NAMES) this.names.delete(this.names.keys().next().value!);
      this.names.set(interfaceId, name);
    }
    return name;
  }

  private get client() {
    return this.place.client;
  }
}

/** Where a deployed instance is reached, from its trusted report (orchestrator.ts's `endpoints`); checked, as marketplace data. */
export function endpointsOf(instance: Instance): Endpoint[] {
  const endpoints: unknown = trustedReportOf(instance)?.endpoints;
  if (!Array.isArray(endpoints)) return [];
  return endpoints.filter(
    (e): e is Endpoint =>
      e !== null &&
      typeof e === 'object' &&
      typeof e.task === 'string' &&
      Number.isSafeInteger(e.port) &&
      e.port >= 1 &&
      e.port <= 65535 &&
      typeof e.host === 'string' &&
      e.host !== '' &&
      typeof e.url === 'string' &&
      e.url !== '',
  );
}
