/**
 * The platform agent's loop: follow one platform's event stream, and make this host run what
 * the marketplace says the platform runs.
 *
 * Events are hints, never the truth: an event names an instance (or, from the reference server,
 * nothing at all), and the agent acts on the instance's record as it is. An event that carries
 * the whole record (`hsp serve`'s created and updated events) is that record: committed before
 * the event was sent, and any later change brings an event of its own, which the agent handles
 * after it. So it deploys from such an event without reading the instance again, unless it has
 * already seen a newer record of it (a reconcile's listing may overtake an event still on its
 * way); any other event is read over REST first. An update event whose record shows exactly
 * what the agent last reported (its own report coming back) ends there. After every
 * (re)subscription it reconciles everything, since ActionCable replays nothing that happened
 * while the socket was down. Work is serialised per instance and concurrent across instances
 * (KeyedQueue, up to WORKERS instances at once, for reads and reports over REST), and orchestrator
 * actions have a bound of their own (`concurrency`, Slots), so that reports and no-ops never wait
 * behind slow deploys; an exec hook left running by a crashed agent is waited for or ended before the
 * next one for its instance runs (hook-locks.ts).
 * Every deploy is reported back on the instance, and the event that report causes converges to
 * nothing: the fingerprint of what runs is unchanged.
 *
 * Around what an instance names, the agent adds what the specification says a platform gives:
 * the platform's environment and the claim data (claim-data.ts), the variables autowiring takes
 * from the instance's providers (wiring.ts), and a licence check before each deploy
 * (licence-check.ts). Dependents follow their providers: whenever the agent deploys, reports or
 * removes an instance, the instances that depend on something converge again.
 */
import { performance } from 'node:perf_hooks';
import type { Instance, Marketplace, Platform, PlatformEvent, PlatformEventStream } from '../index.js';
import type { PlatformEventsOptions } from '../events/index.js';
import { BuildCatalog, type BuildParts } from './build-catalog.js';
import { claimDataOf } from './claim-data.js';
import { Coalescer } from './coalescer.js';
import { DeploymentRefused, isUuid, toDeployment } from './deployment.js';
import type { HealthProbe, Readiness } from './health.js';
import { KeyedQueue } from './keyed-queue.js';
import { LicenceCheck } from './licence-check.js';
import type { AgentLog, Deployment, Orchestrator } from './orchestrator.js';
import { checkedPlatformEnvironment } from './platform-environment.js';
import { decide, listInstances, planReconcile, type Known } from './reconcile.js';
import { inputOf, reportDeployed, reportFailed, retrieveOrNull, trustedReportOf, type InstancePlace } from './report.js';
import { Slots } from './slots.js';
import { WiringContext } from './wiring-context.js';

export interface AgentOptions {
  client: Marketplace;
  /** The platform served; its owner's id is the `user_id` in instance URLs. */
  platform: Pick<Platform, 'id' | 'user_id'>;
  orchestrator: Orchestrator;
  log: AgentLog;
  /** Orchestrator actions (deploys, removals) at once (default 4). */
  concurrency?: number;
  /** Tuning of the event stream (ping interval, backoff, subscribe timeout). */
  events?: PlatformEventsOptions;
  /** A client for the event stream, when the marketplace serves it apart from its REST API. */
  eventsClient?: Marketplace;
  /** How long to gather events that name no instance before one full reconcile (default 250 ms). */
  reconcileDebounceMs?: number;
  /** Backoff for retrying a failed reconcile or deploy: first delay and cap (default 1 s, 5 min). */
  retry?: { initialMs?: number; maxMs?: number };
  /** Variables the platform gives every deployed task (e.g. OPENTELEMETRY_COLLECTOR_URL). */
  environment?: Record<string, string>;
  /**
   * `false`: deploy without asking the marketplace whether the owner may use the product, for a
   * marketplace whose authorization endpoint is broken (default true; licence-check.ts).
   */
  licenceCheck?: boolean;
}

/** A reason to converge one instance; several coalesce into one run. */
interface Hint {
  /** The record as a reconcile listed it; absent: read it again. */
  snapshot?: Instance;
  /** The record as an event carried it (the whole of it); absent: read it again. */
  record?: Instance;
  /** With `snapshot` or `record`: the subscription it was taken in (Agent's `subscriptions`). */
  subscription?: number;
  /** Build parts read before this moment (performance.now()) are too old for this hint. */
  since: number;
  /** An update event, possibly the echo of our own report: may end early when nothing changed. */
  echo: boolean;
  /** The event's record, when it carries what an echo is recognised by. */
  seen?: SeenRecord;
  /** Only events: build parts up to PARTS_MAX_AGE_MS old will do. Other reasons read them anew. */
  event: boolean;
}

/** What an event showed of an instance: enough to recognise the echo of the agent's own report. */
interface SeenRecord {
  input: string;
  /** The fingerprint of the report on the record, when the record says it is deployed. */
  fingerprint?: string;
}

/** Largest event frame accepted: our server's events are a few KB; the rest is noise or an attack. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Instances worked on at once (reads and reports; orchestrator actions have their own, smaller
 * bound). Enough to keep a burst's round trips to the marketplace overlapping; few enough not to
 * flood it.
 */
export const WORKERS = 32;

/**
 * How old a record read before a deploy may be and still stand for the record as it is when the
 * report is written (`freshRecord`), instead of being read again.
 */
export const REPORT_FRESH_MS = 500;

/** How old build parts an event may use (build-catalog.ts's `recent`). */
export const PARTS_MAX_AGE_MS = 2_000;

/** After the grace period, how long aborted actions get to wind down before the agent stops anyway. */
const ABORT_WAIT_MS = 5_000;

/**
 * Why an instance is not deployed, which says what happens next:
 * - `invalid`: its records are wrong; only an edit helps (its update event brings it);
 * - `waiting`: a required provider is missing (or the providers form a cycle): what runs for it
 *   is stopped, and it is tried again with backoff and whenever a provider changes;
 * - `unlicensed`: the owner may not use the product; tried again with backoff, since redeeming a
 *   voucher sends the agent no event.
 */
type Refusal = 'invalid' | 'waiting' | 'unlicensed';

export class Agent implements HealthProbe {
  private readonly client: Marketplace;
  private readonly platformId: string;
  private readonly place: InstancePlace;
  private readonly orchestrator: Orchestrator;
  private readonly log: AgentLog;
  private readonly queue: KeyedQueue;
  private readonly catalog: BuildCatalog;
  private readonly options: AgentOptions;
  private readonly environment: Record<string, string>;
  private readonly wiring: WiringContext;
  private readonly licences: LicenceCheck;
  private readonly actions: Slots;

  private stream: PlatformEventStream | undefined;
  private loop: Promise<void> | undefined;
  /** What runs, as far as this process can tell, by instance id. */
  private known = new Map<string, Known>();
  /** Whether the orchestrator could say what runs at the last reconcile. */
  private listable = false;
  /** When this process last deployed or removed each instance (a counter, not a clock). */
  private readonly changedAt = new Map<string, number>();
  private changes = 0;
  private readonly hints = new Map<string, Hint>();
  private readonly retries = new Map<string, { attempt: number; timer?: NodeJS.Timeout }>();
  /** Instances whose builds depend on an interface: they follow every change to the others. */
  private readonly dependents = new Set<string>();
  /** When (performance.now()) this process last changed what an instance runs or its record says. */
  private providersChangedAt = -Infinity;
  /** Converges the dependents once after a burst of such changes. */
  private readonly followers: Coalescer;
  /** When the last reconcile pass began: build parts read since are fresh enough for wiring. */
  private reconcileStartedAt = -Infinity;
  /**
   * The newest `updated_at` of each instance's records handled so far: an event's record older
   * than that is stale (a listing overtook it), and the instance is read again instead.
   */
  private readonly newestSeen = new Map<string, number>();

  private subscribed = false;
  /** Subscriptions so far, and the one the last finished reconcile started after. */
  private subscriptions = 0;
  private reconciledFor = 0;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private reconcileAttempt = 0;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  /** Resolves when the pending debounced reconcile has been requested (or dropped by a stop). */
  private debounced: Promise<void> | undefined;
  private endDebounce: (() => void) | undefined;
  /** Aborts listings (not actions) at once when stopping. */
  private readonly listing = new AbortController();
  private stopping = false;
  private stopped: Promise<boolean> | undefined;
  private loopEnded = false;

  constructor(options: AgentOptions) {
    this.options = options;
    this.client = options.client;
    this.platformId = options.platform.id;
    this.place = { client: options.client, ownerId: options.platform.user_id, platformId: options.platform.id };
    this.orchestrator = options.orchestrator;
    this.log = options.log;
    this.catalog = new BuildCatalog(options.client);
    this.environment = checkedPlatformEnvironment(options.environment);
    this.wiring = new WiringContext(this.place, this.catalog, this.environment);
    this.licences = new LicenceCheck(options.client, options.platform.user_id, options.log, options.licenceCheck ?? true);
    this.followers = new Coalescer(options.reconcileDebounceMs ?? 250, () => this.followProviders());
    const concurrency = options.concurrency ?? 4;
    this.actions = new Slots(concurrency);
    this.queue = new KeyedQueue(Math.max(concurrency, WORKERS), (instanceId, error) => this.failed(instanceId, error));
  }

  /**
   * Subscribes and starts handling events; resolves once the stream is opening. The returned
   * promise of `run()` settles when the loop ends: normally after `stop()`, or rejected with
   * the stream's terminal error (the subscription refused or never answered).
   */
  async start(): Promise<void> {
    if (this.stream) throw new Error('The agent has already started.');
    const source = this.options.eventsClient ?? this.client;
    const stream = await source.events.platform(this.platformId, { maxPayload: MAX_EVENT_BYTES, ...this.options.events });
    this.stream = stream;
    stream.on('connected', () => this.log('stream.connected'));
    stream.on('disconnected', (reason) => {
      this.subscribed = false;
      this.log('stream.disconnected', { reason });
    });
    stream.on('error', (error) => this.log('stream.error', { reason: error.message }));
    stream.on('subscribed', () => {
      this.subscribed = true;
      this.subscriptions++;
      this.log('stream.subscribed', { platform: this.platformId });
      this.requestReconcile('subscribed');
    });
    this.log('agent.started', { platform: this.platformId, orchestrator: this.orchestrator.name, concurrency: this.options.concurrency ?? 4 });
    this.licences.announce();
    // What changes on the host behind the agent's back is learnt as what changed while it was
    // away: by a reconcile.
    this.orchestrator.watch?.((reason) => this.requestReconcile(reason, this.options.reconcileDebounceMs ?? 250), this.listing.signal);
    this.loop = this.consume(stream);
  }

  /** Settles when the event loop ends (see `start`). */
  run(): Promise<void> {
    if (!this.loop) return Promise.reject(new Error('The agent has not started.'));
    return this.loop;
  }

  /**
   * Stops taking events, lets in-flight actions finish within `graceMs`, then aborts them.
   * Resolves to whether everything finished in time.
   */
  stop(graceMs: number): Promise<boolean> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<boolean> {
    this.stopping = true;
    clearTimeout(this.debounceTimer);
    this.endDebounce?.();
    this.debounceTimer = this.debounced = this.endDebounce = undefined;
    this.followers.cancel();
    clearTimeout(this.reconcileTimer);
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    this.retries.clear();
    this.stream?.close();
    this.listing.abort(new Error('The agent is stopping.'));
    this.queue.close();
    this.log('agent.stopping', { in_flight: this.queue.running, grace_ms: graceMs });
    const settled = Promise.all([this.queue.idle(), this.reconciling?.catch(() => {})]).then(() => true);
    const drained = await within(settled, graceMs);
    if (!drained) {
      this.log('agent.aborting', { in_flight: this.queue.running, reason: `In-flight actions did not finish within the grace period of ${graceMs} ms.` });
      this.queue.abort(new Error('The grace period is over.'));
      await within(this.queue.idle().then(() => true), ABORT_WAIT_MS);
    }
    await this.loop?.catch(() => {});
    this.subscribed = false;
    this.log('agent.stopped', { drained });
    return drained;
  }

  live(): boolean {
    return !!this.loop && !this.loopEnded && !this.stopping;
  }

  readiness(): Readiness {
    if (this.stopping) return { ready: false, reason: 'The agent is stopping.' };
    if (!this.subscribed) return { ready: false, reason: "Not subscribed to the platform's events." };
    if (this.reconciledFor !== this.subscriptions) return { ready: false, reason: 'Reconciling with the marketplace.' };
    return { ready: true };
  }

  /**
   * Resolves when no reconcile runs or waits and no instance work is queued (tests,
   * benchmarks). Retries waiting out a backoff are not waited for.
   */
  async settled(): Promise<void> {
    for (;;) {
      await this.debounced;
      await this.followers.pending;
      await this.reconciling;
      await this.queue.idle();
      if (!this.debounced && !this.followers.pending && !this.reconciling && this.queue.running === 0 && this.queue.waiting === 0) return;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Events

  private async consume(stream: PlatformEventStream): Promise<void> {
    try {
      for await (const event of stream) this.onEvent(event);
    } catch (error) {
      if (this.stopping) return;
      this.log('agent.failed', { reason: (error as Error).message });
      throw error;
    } finally {
      this.loopEnded = true;
    }
  }

  private onEvent(event: PlatformEvent): void {
    if (this.stopping) return;
    if (event.type === 'unknown') {
      this.log('event.ignored', { reason: event.reason });
      return;
    }
    if (event.platformId.toLowerCase() !== this.platformId.toLowerCase()) {
      this.log('event.refused', { type: event.type, reason: `The event is for platform ${quoted(event.platformId)}, not ${this.platformId}.` });
      return;
    }
    const instanceId = event.instanceId;
    if (instanceId === undefined) {
      // The reference server's "created" names no instance: only a full reconcile can find it.
      this.log('event.received', { type: event.type, build: short(event.buildId) });
      this.requestReconcile(`${event.type} event without an instance id`, this.options.reconcileDebounceMs ?? 250);
      return;
    }
    if (!isUuid(instanceId)) {
      this.log('event.refused', { type: event.type, reason: `The event's instance id ${quoted(instanceId)} is not a UUID.` });
      return;
    }
    const productId = event.instance.build.product?.id;
    if (isUuid(event.buildId) && isUuid(productId)) this.catalog.learn(event.buildId, productId);
    this.log('event.received', { type: event.type, instance: instanceId });
    const echo = event.type === 'instance.updated';
    const seen = echo ? seenRecord(event) : undefined;
    const record = event.record ? this.withUrl(event.record) : undefined;
    void this.schedule(instanceId, { since: performance.now(), echo, ...(seen ? { seen } : {}), ...(record ? { record, subscription: this.subscriptions } : {}), event: true });
  }

  // ---------------------------------------------------------------------------------------
  // Reconciling

  private requestReconcile(reason: string, delayMs = 0): void {
    if (this.stopping) return;
    if (delayMs > 0) {
      if (this.debounced) return;
      this.debounced = new Promise((resolve) => (this.endDebounce = resolve));
      this.debounceTimer = setTimeout(() => {
        this.endDebounce?.();
        this.debounceTimer = this.debounced = this.endDebounce = undefined;
        this.requestReconcile(reason);
      }, delayMs);
      return;
    }
    clearTimeout(this.reconcileTimer);
    this.reconcileTimer = undefined;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = this.reconcileUntilCurrent(reason).finally(() => (this.reconciling = undefined));
  }

  private async reconcileUntilCurrent(reason: string): Promise<void> {
    do {
      this.reconcileAgain = false;
      const subscription = this.subscriptions;
      try {
        await this.reconcile(reason);
        this.reconciledFor = subscription;
        this.reconcileAttempt = 0;
      } catch (error) {
        if (this.stopping) return;
        const delay = backoff(this.reconcileAttempt++, this.options.retry);
        this.log('reconcile.failed', { reason: (error as Error).message, retry_in_ms: delay });
        if (!this.reconcileAgain) {
          // Only while subscribed: a new subscription reconciles anyway.
          this.reconcileTimer = setTimeout(() => this.subscribed && this.requestReconcile('retry'), delay);
          return;
        }
      }
      reason = 'changes during the last reconcile';
    } while (this.reconcileAgain && !this.stopping);
  }

  private async reconcile(reason: string): Promise<void> {
    const started = performance.now();
    this.reconcileStartedAt = started;
    const changesBefore = this.changes;
    const subscription = this.subscriptions;
    this.log('reconcile.started', { reason });
    const signal = this.listing.signal;
    const [instances, workloads] = await Promise.all([listInstances(this.place, signal), this.orchestrator.list(signal)]);
    if (this.stopping) return;
    // What this process deployed or removed after the listing began is newer than the listing.
    const recent = new Set([...this.changedAt].filter(([, at]) => at > changesBefore).map(([id]) => id));
    const plan = planReconcile(instances, workloads, this.known, recent);
    this.known = plan.running;
    this.listable = plan.listable;
    const runs = [
      ...plan.converge.map((instance) => this.schedule(instance.id, { snapshot: instance, subscription, since: started, echo: false, event: false })),
      ...plan.orphans.map((id) => this.schedule(id, { since: started, echo: false, event: false })),
    ];
    await Promise.all(runs);
    this.log('reconcile.done', {
      instances: instances.length,
      workloads: workloads ? workloads.length : null,
      orphans: plan.orphans.length,
      ms: Math.round(performance.now() - started),
    });
  }

  // ---------------------------------------------------------------------------------------
  // One instance

  private schedule(instanceId: string, hint: Hint): Promise<void> {
    const before = this.hints.get(instanceId);
    this.hints.set(instanceId, before ? merge(before, hint) : hint);
    return this.queue.push(instanceId, (signal) => this.converge(instanceId, signal));
  }

  private async converge(instanceId: string, signal: AbortSignal): Promise<void> {
    const hint = this.hints.get(instanceId) ?? { since: performance.now(), echo: false, event: false };
    this.hints.delete(instanceId);
    // Our own report coming back, as the event shows it: nothing to read.
    if (hint.echo && hint.seen && !hint.snapshot) {
      const known = this.known.get(instanceId);
      if (known?.fingerprint && known.input === hint.seen.input && hint.seen.fingerprint === known.fingerprint) {
        this.log('instance.unchanged', { level: 'debug', instance: instanceId, fingerprint: known.fingerprint });
        this.succeeded(instanceId);
        return;
      }
      if (known?.failedInput === hint.seen.input) {
        this.log('instance.unchanged', { level: 'debug', instance: instanceId, retry: 'pending' });
        return;
      }
    }
    // A listing's record is as old as the listing; an event's, as old as its arrival; a read's,
    // as old as its answer.
    const given = hint.snapshot ?? this.current(hint.record);
    const instance = given ?? (await retrieveOrNull(this.place, instanceId, signal));
    const readAt = given ? hint.since : performance.now();
    const readIn = given ? (hint.subscription ?? -1) : this.subscriptions;
    if (!instance) {
      this.newestSeen.delete(instanceId);
      return this.remove(instanceId, signal);
    }
    this.saw(instance);

    if (isUuid(instance.product_id)) this.catalog.learn(instance.build_id, instance.product_id);
    const input = inputOf(instance);
    const known = this.known.get(instanceId);
    // Our own report coming back (or an edit that changed nothing the agent reads): the update
    // event of an instance cannot announce changes to its build, so there is nothing to re-read.
    if (hint.echo && known?.fingerprint && known.input === input && trustedReportOf(instance)?.fingerprint === known.fingerprint) {
      this.log('instance.unchanged', { level: 'debug', instance: instanceId, fingerprint: known.fingerprint });
      this.succeeded(instanceId);
      return;
    }
    // Our own failure report coming back: the retry's backoff says when to try again, not the event.
    if (hint.echo && known?.failedInput === input) {
      this.log('instance.unchanged', { level: 'debug', instance: instanceId, retry: 'pending' });
      return;
    }

    const parts = hint.event
      ? await this.catalog.recent(instance.build_id, { maxAgeMs: PARTS_MAX_AGE_MS, signal })
      : await this.catalog.parts(instance.build_id, { since: hint.since, signal });
    if (parts.dependencies.length > 0) this.dependents.add(instanceId);
    else this.dependents.delete(instanceId);

    let deployment: Deployment;
    try {
      deployment = await this.deploymentOf(instance, parts, hint, signal);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      return this.refuse(instance, error.message, error.kind, signal);
    }

    const decision = decide(instance, deployment.fingerprint, known, this.listable);
    switch (decision.action) {
      case 'none':
        this.known.set(instanceId, { ...known, fingerprint: deployment.fingerprint, input, report: known?.report ?? trustedReportOf(instance) });
        this.log('instance.unchanged', { level: 'debug', instance: instanceId, fingerprint: deployment.fingerprint });
        this.succeeded(instanceId);
        return;
      case 'report': {
        const outcome = await reportDeployed(this.place, instanceId, input, decision.report, signal);
        this.log('report.done', { instance: instanceId, fingerprint: deployment.fingerprint, outcome });
        if (outcome === 'written') this.providerChanged();
        this.succeeded(instanceId);
        return;
      }
      case 'deploy': {
        // Only before a deploy: an instance running unchanged spends no use of a counted licence.
        const licence = await this.licences.check(instanceId, parts.productId, signal);
        if (!licence.authorized) return this.refuse(instance, licence.reason, 'unlicensed', signal);
        return this.deploy(deployment, input, decision.reason, signal, () => this.freshRecord(instanceId, instance, readAt, readIn));
      }
    }
  }

  /**
   * The instance's deployment: its build's tasks, with the platform's environment, the wired
   * variables and the claim data laid over their defaults. Throws Refused when it cannot be
   * deployed now.
   */
  private async deploymentOf(instance: Instance, parts: BuildParts, hint: Hint, signal: AbortSignal): Promise<Deployment> {
    let wiredEnvironment: Record<string, string> | undefined;
    if (parts.dependencies.length > 0) {
      const wiring = await this.wiring.wire(instance, parts, {
        // A listing from before this process's last change to a provider would miss that change.
        listedSince: Math.max(hint.since, this.providersChangedAt),
        partsSince: Math.min(hint.since, this.reconcileStartedAt),
        signal,
      });
      if (!wiring.wired) throw new Refused(wiring.reason, wiring.waiting ? 'waiting' : 'invalid');
      wiredEnvironment = wiring.environment;
      if (Object.keys(wiring.providers).length > 0) this.log('wiring.done', { level: 'debug', instance: instance.id, providers: wiring.providers, variables: Object.keys(wiring.environment).sort() });
    }
    const claimData = claimDataOf({ marketplaceUrl: this.client.baseUrl, platform: this.options.platform, instance, productId: parts.productId });
    try {
      return toDeployment({ platformId: this.platformId, instance, ...parts, platformEnvironment: this.environment, wiredEnvironment, claimData });
    } catch (error) {
      if (error instanceof DeploymentRefused) throw new Refused(error.message, 'invalid');
      throw error;
    }
  }

  /**
   * Does not deploy the instance, and says why on its record (`reportFailed`). Bad records do
   * not get better by retrying; the instance's next update event brings the fix. A missing
   * provider or licence may appear with no event about this instance: tried again with backoff.
   */
  private async refuse(instance: Instance, reason: string, kind: Refusal, signal: AbortSignal): Promise<void> {
    const instanceId = instance.id;
    const input = inputOf(instance);
    this.log(kind === 'invalid' ? 'deploy.refused' : kind === 'waiting' ? 'deploy.blocked' : 'deploy.unlicensed', { instance: instanceId, build: short(instance.build_id), reason });
    if (kind === 'invalid') this.succeeded(instanceId);
    else {
      // Its own failure report coming back is then no reason to try again at once.
      this.known.set(instanceId, { ...this.known.get(instanceId), failedInput: input });
      this.retryLater(instanceId);
    }
    // Wired to a provider that is gone, it would only fail: stop it.
    if (kind === 'waiting' && (this.known.get(instanceId)?.fingerprint !== undefined || trustedReportOf(instance))) await this.stopBlocked(instanceId, input, signal);
    if (await reportFailed(this.place, instance, { orchestrator: this.orchestrator.name, error: reason }, signal)) {
      this.log('report.cleared', { instance: instanceId });
      this.providerChanged();
    }
  }

  private async stopBlocked(instanceId: string, input: string, signal: AbortSignal): Promise<void> {
    this.log('remove.started', { instance: instanceId, reason: 'blocked' });
    await this.actions.run(() => this.orchestrator.remove(instanceId, signal), signal);
    this.known.set(instanceId, { failedInput: input });
    this.changedAt.set(instanceId, ++this.changes);
    this.log('remove.done', { instance: instanceId });
  }

  /**
   * What an instance runs, or what its record says, changed: the dependents converge again,
   * once for a burst of changes (their fingerprints say whether anything changes for them).
   */
  private providerChanged(): void {
    if (this.stopping) return;
    this.providersChangedAt = performance.now();
    if (this.dependents.size > 0) this.followers.trigger();
  }

  private followProviders(): void {
    if (this.stopping) return;
    const since = performance.now();
    for (const dependent of this.dependents) void this.schedule(dependent, { since, echo: false, event: false });
  }

  /**
   * The record read at `readAt` in subscription `readIn`, when it may stand for the record as it
   * is now: read moments ago, subscribed ever since (the same subscription: events sent while
   * the socket was down are lost), and no event (or other reason) about the instance has come
   * since. An edit committed since would have sent an event, which sets a hint; only one
   * committed in the last moments before the report, whose event is still on its way, goes
   * unseen, as one committed between a second read and the write would.
   */
  private freshRecord(instanceId: string, instance: Instance, readAt: number, readIn: number): Instance | undefined {
    if (!this.subscribed || readIn !== this.subscriptions || this.hints.has(instanceId) || performance.now() - readAt > REPORT_FRESH_MS) return undefined;
    return instance;
  }

  /** An event's record, unless a newer record of the instance has been seen (then: read it). */
  private current(record: Instance | undefined): Instance | undefined {
    if (!record) return undefined;
    const newest = this.newestSeen.get(record.id);
    return newest !== undefined && !(Date.parse(record.updated_at) >= newest) ? undefined : record;
  }

  private saw(instance: Instance): void {
    const at = Date.parse(instance.updated_at);
    if (Number.isNaN(at)) return;
    const newest = this.newestSeen.get(instance.id);
    if (newest === undefined || at > newest) this.newestSeen.set(instance.id, at);
  }

  /** An event's record with the self link a read gives (the server's origin and its path). */
  private withUrl(record: Instance): Instance {
    if (record.path === undefined) return record;
    try {
      return { ...record, url: new URL(record.path, this.client.baseUrl).href };
    } catch {
      return record;
    }
  }

  private async deploy(deployment: Deployment, input: string, reason: string, signal: AbortSignal, fresh: () => Instance | undefined): Promise<void> {
    const { instance, build, fingerprint } = deployment;
    const started = performance.now();
    this.log('deploy.started', {
      instance: instance.id,
      build: build.id,
      image: `${build.container_repository ?? ''}:${build.container_tag ?? ''}`,
      fingerprint,
      reason,
    });
    let report;
    try {
      report = await this.actions.run(() => this.orchestrator.deploy(deployment, signal), signal);
    } catch (error) {
      // Part of it may run: known, with no fingerprint, so a removal still reaches it.
      this.known.set(instance.id, { failedInput: input });
      this.changedAt.set(instance.id, ++this.changes);
      if (signal.aborted) {
        this.log('deploy.aborted', { instance: instance.id, reason: 'The agent stopped before the deploy finished.' });
        return;
      }
      const reason = (error as Error).message;
      this.log('deploy.failed', { instance: instance.id, reason });
      if (await reportFailed(this.place, instance, { orchestrator: this.orchestrator.name, error: reason }, signal).catch(() => false)) this.log('report.cleared', { instance: instance.id });
      this.retryLater(instance.id);
      this.providerChanged();
      return;
    }
    this.known.set(instance.id, { fingerprint, input, report });
    this.changedAt.set(instance.id, ++this.changes);
    const outcome = await reportDeployed(this.place, instance.id, input, report, signal, fresh());
    this.providerChanged();
    this.log('deploy.done', {
      instance: instance.id,
      fingerprint,
      orchestrator: report.orchestrator,
      workloads: report.workloads.length,
      report: outcome,
      ms: Math.round(performance.now() - started),
    });
    this.succeeded(instance.id);
  }

  private async remove(instanceId: string, signal: AbortSignal): Promise<void> {
    // Only what is known to run here (listed, deployed or confirmed by this process): an event
    // naming some other instance must not make the agent touch anything.
    if (!this.known.has(instanceId)) return this.succeeded(instanceId);
    this.log('remove.started', { instance: instanceId });
    try {
      await this.actions.run(() => this.orchestrator.remove(instanceId, signal), signal);
    } catch (error) {
      if (signal.aborted) {
        this.log('remove.aborted', { instance: instanceId, reason: 'The agent stopped before the removal finished.' });
        return;
      }
      this.log('remove.failed', { instance: instanceId, reason: (error as Error).message });
      this.retryLater(instanceId);
      return;
    }
    this.known.delete(instanceId);
    this.dependents.delete(instanceId);
    this.changedAt.set(instanceId, ++this.changes);
    this.log('remove.done', { instance: instanceId });
    this.succeeded(instanceId);
    this.providerChanged();
  }

  /** A converge that threw (the marketplace unreachable, a report refused): log, try again later. */
  private failed(instanceId: string, error: unknown): void {
    if (this.stopping) return;
    this.log('converge.failed', { instance: instanceId, reason: (error as Error)?.message ?? String(error) });
    this.retryLater(instanceId);
  }

  private retryLater(instanceId: string): void {
    if (this.stopping) return;
    const retry = this.retries.get(instanceId) ?? { attempt: 0 };
    clearTimeout(retry.timer);
    const delay = backoff(retry.attempt++, this.options.retry);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      void this.schedule(instanceId, { since: performance.now(), echo: false, event: false });
    }, delay);
    this.retries.set(instanceId, retry);
  }

  private succeeded(instanceId: string): void {
    const retry = this.retries.get(instanceId);
    if (!retry) return;
    clearTimeout(retry.timer);
    this.retries.delete(instanceId);
  }
}

/** The instance cannot be deployed now, and why (one sentence). */
class Refused extends Error {
  constructor(
    message: string,
    readonly kind: Refusal,
  ) {
    super(message);
  }
}

/**
 * Two reasons to converge as one: read again unless both have the record from the same kind of
 * source (two listings, or two events, whose order is the order of the changes), as fresh as
 * the freshest.
 */
function merge(a: Hint, b: Hint): Hint {
  const kept = (a.snapshot && b.snapshot) || (a.record && b.record);
  return {
    ...(a.snapshot && b.snapshot ? { snapshot: b.snapshot } : {}),
    ...(a.record && b.record ? { record: b.record } : {}),
    ...(kept && b.subscription !== undefined ? { subscription: b.subscription } : {}),
    since: Math.max(a.since, b.since),
    echo: a.echo && b.echo,
    // The newer event's record: it shows the later state.
    ...(a.seen && b.seen ? { seen: b.seen } : {}),
    event: a.event && b.event,
  };
}

/**
 * What an update event shows of its instance, when it carries the launch bindings and
 * `deployed_at` (`hsp serve` sends both, unless the bindings are too large for a notification).
 */
function seenRecord(event: Exclude<PlatformEvent, { type: 'unknown' }>): SeenRecord | undefined {
  const model = event.instance;
  if (!model.launch_bindings || !('deployed_at' in model)) return undefined;
  const record = { build_id: event.buildId, launch_bindings: model.launch_bindings, deployed_at: model.deployed_at ?? null } as Instance;
  const fingerprint = trustedReportOf(record)?.fingerprint;
  return { input: inputOf(record), ...(fingerprint === undefined ? {} : { fingerprint }) };
}

/** Exponential backoff with jitter (half fixed, half random), so retries of many instances spread out. */
function backoff(attempt: number, options: AgentOptions['retry'] = {}): number {
  const { initialMs = 1_000, maxMs = 300_000 } = options;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Resolves to what `promise` gives, or `false` when `ms` pass first. */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Marketplace text as a log field: short, whatever it was. */
function short(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** Marketplace text inside a sentence: quoted, so where it ends is plain to see. */
function quoted(value: unknown): string {
  return JSON.stringify(short(value));
}
