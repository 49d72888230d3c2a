/**
 * Work serialised per key and concurrent across keys, up to a bound: the agent never deploys
 * one instance twice at once, yet deploys many instances side by side.
 *
 * Requests for a key that already has a run waiting coalesce into that run (the newest job
 * wins), so a storm of hints about one instance costs one more run, not one run per hint. A
 * request for a key that is running waits for it to finish: the state it saw may be stale.
 */
import { setMaxListeners } from 'node:events';

export type Job = (signal: AbortSignal) => Promise<void>;

interface Waiting {
  job: Job;
  done: (() => void)[];
}

interface KeyState {
  running: boolean;
  next?: Waiting;
}

export class KeyedQueue {
  private readonly keys = new Map<string, KeyState>();
  /** Keys with a waiting run and nothing running, oldest first. */
  private readonly ready: string[] = [];
  private readonly controller = new AbortController();
  private runningCount = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  /**
   * @param concurrency most jobs running at once (at least 1)
   * @param onError told of a job that threw; the queue carries on
   */
  constructor(
    private readonly concurrency: number,
    private readonly onError: (key: string, error: unknown) => void = () => {},
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`The concurrency must be a whole number of at least 1, not ${concurrency}.`);
    // Every running job's requests listen to this one signal: dozens of listeners are expected, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  /** Resolves once a run that started after this call has finished (or at once when closed). */
  push(key: string, job: Job): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let state = this.keys.get(key);
      if (!state) this.keys.set(key, (state = { running: false }));
      if (state.next) {
        state.next.job = job;
        state.next.done.push(resolve);
        return;
      }
      state.next = { job, done: [resolve] };
      if (!state.running) this.ready.push(key);
      this.pump();
    });
  }

  /** Jobs running now. */
  get running(): number {
    return this.runningCount;
  }

  /** Keys with a run waiting to start. */
  get waiting(): number {
    let count = 0;
    for (const state of this.keys.values()) if (state.next) count++;
    return count;
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more work and drops what has not started; running jobs go on (see `abort`). */
  close(): void {
    this.closed = true;
    this.ready.length = 0;
    for (const [key, state] of this.keys) {
      for (const done of state.next?.done ?? []) done();
      state.next = undefined;
      if (!state.running) this.keys.delete(key);
    }
    this.settle();
  }

  /** Asks running jobs to stop, through their signal. */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  private pump(): void {
    while (this.runningCount < this.concurrency && this.ready.length) {
      const key = this.ready.shift()!;
      const state = this.keys.get(key);
      const next = state?.next;
      if (!state || !next || state.running) continue;
      state.next = undefined;
      state.running = true;
      this.runningCount++;
      void this.run(key, state, next);
    }
  }

  private async run(key: string, state: KeyState, work: Waiting): Promise<void> {
    try {
      await work.job(this.controller.signal);
    } catch (error) {
      try {
        this.onError(key, error);
      } catch {
        // A failing error handler must not stall the queue.
      }
    }
    this.runningCount--;
    state.running = false;
    for (const done of work.done) done();
    if (state.next && !this.closed) this.ready.push(key);
    else if (!state.next) this.keys.delete(key);
    this.pump();
    this.settle();
  }

  private isIdle(): boolean {
    return this.runningCount === 0 && this.ready.length === 0;
  }

  private settle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
