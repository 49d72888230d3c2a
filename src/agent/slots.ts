/**
 * A bound on actions at once (a counting semaphore), taken in the order asked. The agent keeps
 * two bounds: instances worked on at once (reads and reports over REST, which are cheap and
 * wait on the network) and, inside that, orchestrator actions at once (`--concurrency`: pulls,
 * containers, rollouts), so that a report or a no-op never queues behind slow deploys.
 */
interface Waiter {
  grant: () => void;
  fail: (reason: unknown) => void;
  signal?: AbortSignal;
}

export class Slots {
  private free: number;
  private readonly waiting: Waiter[] = [];
  /** Signals listened to: one listener each, however many waiters share it (the agent's do). */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`The number of slots must be a whole number of at least 1, not ${size}.`);
    this.free = size;
  }

  /** Runs `action` in a slot; rejects with the signal's reason, without running it, when aborted first. */
  async run<T>(action: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await action();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.dropWaiters(signal), { once: true });
    }
    return new Promise<void>((grant, fail) => this.waiting.push({ grant, fail, signal }));
  }

  private dropWaiters(signal: AbortSignal): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiter = this.waiting[i]!;
      if (waiter.signal !== signal) continue;
      this.waiting.splice(i, 1);
      waiter.fail(signal.reason);
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.free++;
  }
}
