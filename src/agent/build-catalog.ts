/**
 * What the agent needs to know about a build to run it: the build itself, its configurations
 * and the tasks of the default one, and what autowiring reads (the interfaces it depends on, and
 * those it exposes with their parameters), read over REST.
 *
 * An instance names only its build, but builds live below their product
 * (`/products/:product_id/builds/:id`) and our server checks that parent. The product comes
 * from the instance when the server renders it (`product_id`, as `hsp serve` does) or from the
 * platform events (`model.instance.build.product.id`); otherwise, or when that hint proves
 * wrong, the readable catalogue is walked once and every build met on the way is remembered
 * (a build never changes product).
 *
 * The parts themselves can change (a publisher edits a task), so every caller says how fresh
 * they must be: `since` a reconcile pass began, or since an event arrived. Reads that started
 * after that moment are shared, so a pass over a thousand instances of one build, or a burst of
 * events about them, reads the build once. An event may instead accept parts at most a couple of
 * seconds old (`recent`): builds change rarely, and no event announces such a change anyway, so
 * re-reading six records for every instance created one at a time bought little. A read that
 * old is refreshed in the background meanwhile, so a steady stream of events never waits for it.
 *
 * The records of one build are read side by side (the build, its configurations, dependencies
 * and exposures; then the default configuration's tasks and the exposures' parameters).
 */
import { performance } from 'node:perf_hooks';
import { NotFoundError, type Build, type Configuration, type Dependency, type Exposure, type Marketplace, type Parameter, type Task } from '../index.js';
import { defaultConfigurationOf } from './deployment.js';

export interface BuildParts {
  /** The product the build belongs to. */
  productId: string;
  build: Build;
  configurations: Configuration[];
  /** The tasks of the default configuration (the only one deployed), by its id. */
  tasksByConfiguration: Record<string, Task[]>;
  /** Interfaces the build needs from the platform's other instances. */
  dependencies: Dependency[];
  /** Interfaces the build offers them, each with its parameters. */
  exposures: ExposureParts[];
}

export interface ExposureParts {
  exposure: Exposure;
  parameters: Parameter[];
}

/** No product this account can read has the build. */
export class BuildNotFoundError extends Error {
  override name = 'BuildNotFoundError';
}

const PER_PAGE = 100;
/** Builds whose parts are kept; a host runs far fewer. */
const MAX_CACHED = 1000;

export class BuildCatalog {
  private readonly productOf = new Map<string, string>();
  private readonly cache = new Map<string, { startedAt: number; parts: Promise<BuildParts> }>();
  private walk: Promise<void> | undefined;
  /** Background refreshes under way, by build id. */
  private readonly refreshing = new Set<string>();

  constructor(private readonly client: Marketplace) {}

  /** A hint from an event: this build belongs to that product. Checked when used. */
  learn(buildId: string, productId: string): void {
    if (!this.productOf.has(buildId)) this.productOf.set(buildId, productId);
  }

  /**
   * The build's parts, from a read that started at `since` (a `performance.now()` time) or
   * later: a shared one when there is one, otherwise a new one.
   */
  parts(buildId: string, options: { since: number; signal?: AbortSignal }): Promise<BuildParts> {
    const cached = this.cache.get(buildId);
    if (cached && cached.startedAt >= options.since) return cached.parts;
    return this.store(buildId, { startedAt: performance.now(), parts: this.read(buildId, options.signal) });
  }

  /**
   * The build's parts from a read that started at most `maxAgeMs` ago, when there is one that
   * succeeded (one older than half that is refreshed in the background); otherwise a new read.
   */
  async recent(buildId: string, options: { maxAgeMs: number; signal?: AbortSignal }): Promise<BuildParts> {
    const now = performance.now();
    const cached = this.cache.get(buildId);
    if (cached && cached.startedAt >= now - options.maxAgeMs) {
      try {
        const parts = await cached.parts;
        if (cached.startedAt < now - options.maxAgeMs / 2) this.refresh(buildId, options.signal);
        return parts;
      } catch {
        // Failed meanwhile: read again below.
      }
    }
    return this.parts(buildId, { since: now, signal: options.signal });
  }

  /** A new read that replaces the cached entry once it has succeeded, so callers keep the old one meanwhile. */
  private refresh(buildId: string, signal: AbortSignal | undefined): void {
    if (this.refreshing.has(buildId) || signal?.aborted) return;
    this.refreshing.add(buildId);
    const startedAt = performance.now();
    const parts = this.read(buildId, signal);
    parts
      .then(
        () => {
          const current = this.cache.get(buildId);
          if (!current || current.startedAt < startedAt) this.store(buildId, { startedAt, parts });
        },
        // Not shared: the entry it was to replace goes on, and a caller that needs fresher reads again.
        () => {},
      )
      .finally(() => this.refreshing.delete(buildId));
  }

  private store(buildId: string, entry: { startedAt: number; parts: Promise<BuildParts> }): Promise<BuildParts> {
    // Re-inserted last, so the oldest entries are the first to go when the cache is full.
    this.cache.delete(buildId);
    this.cache.set(buildId, entry);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    // A failed read is not shared: the next caller tries again.
    entry.parts.catch(() => {
      if (this.cache.get(buildId) === entry) this.cache.delete(buildId);
    });
    return entry.parts;
  }

  private async read(buildId: string, signal: AbortSignal | undefined): Promise<BuildParts> {
    const hinted = this.productOf.get(buildId);
    if (hinted) {
      try {
        return await this.readBelow(hinted, buildId, signal);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        // The hint named the wrong product (or the build moved out of sight): look it up for real.
        this.productOf.delete(buildId);
      }
    }
    return this.readBelow(await this.findProduct(buildId, signal), buildId, signal);
  }

  /** The parts, read below `productId`; a NotFoundError when the build is not there. */
  private async readBelow(productId: string, buildId: string, signal: AbortSignal | undefined): Promise<BuildParts> {
    const listAll = async <T>(listing: AsyncIterable<T>) => {
      const items: T[] = [];
      for await (const item of listing) items.push(item);
      return items;
    };
    // The reference server ignores the parents in these URLs and lists every build's records:
    // each is kept only when it names this build (or exposure).
    const reads = Promise.all([
      this.client.builds.retrieve(productId, buildId, { signal }),
      listAll(this.client.configurations.list(productId, buildId, { signal })),
      listOrNone(this.client.dependencies.list(productId, buildId, { perPage: PER_PAGE }, { signal }), (d) => sameId(d.build_id, buildId)),
      listOrNone(this.client.exposures.list(productId, buildId, { perPage: PER_PAGE }, { signal }), (e) => sameId(e.build_id, buildId)),
    ]);
    // Listings below a wrong product may answer nothing rather than fail: only the build's own
    // read says whether the product is right, and a 404 there discards the rest.
    const [build, configurations, dependencies, exposureList] = await reads;
    const chosen = defaultConfigurationOf(configurations);
    const [tasks, exposures] = await Promise.all([
      chosen ? listAll(this.client.tasks.list(productId, buildId, chosen.id, { signal })) : Promise.resolve(undefined),
      Promise.all(
        exposureList.map(async (exposure) => ({
          exposure,
          parameters: await listOrNone(this.client.parameters.list(productId, buildId, exposure.id, { perPage: PER_PAGE }, { signal }), (p) => sameId(p.exposure_id, exposure.id)),
        })),
      ),
    ]);
    const tasksByConfiguration: Record<string, Task[]> = {};
    if (chosen && tasks) tasksByConfiguration[chosen.id] = tasks;
    return { productId, build, configurations, tasksByConfiguration, dependencies, exposures };
  }

  private async findProduct(buildId: string, signal: AbortSignal | undefined): Promise<string> {
    // One walk at a time; a build created after a walk began needs a walk of its own.
    if (this.walk) await this.walk.catch(() => {});
    let productId = this.productOf.get(buildId);
    if (productId) return productId;
    this.walk ??= this.walkCatalogue(signal).finally(() => (this.walk = undefined));
    await this.walk;
    productId = this.productOf.get(buildId);
    if (!productId) throw new BuildNotFoundError(`Build ${buildId} is not in any product this agent can read.`);
    return productId;
  }

  private async walkCatalogue(signal: AbortSignal | undefined): Promise<void> {
    for await (const product of this.client.products.list({ perPage: PER_PAGE }, { signal })) {
      for await (const build of this.client.builds.list(product.id, { perPage: PER_PAGE }, { signal })) this.productOf.set(build.id, product.id);
    }
  }
}

/**
 * Every record of a listing that `keep` accepts; none when the marketplace has no such route
 * (a server that predates dependencies and exposures has nothing to wire).
 */
async function listOrNone<T>(listing: AsyncIterable<T>, keep: (item: T) => boolean): Promise<T[]> {
  const items: T[] = [];
  try {
    for await (const item of listing) if (item !== null && typeof item === 'object' && keep(item)) items.push(item);
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
  return items;
}

function sameId(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}
