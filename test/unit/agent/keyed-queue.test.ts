import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../src/agent/keyed-queue.js';

/** A promise to settle by hand, so a test decides when a job finishes (no sleeps). */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued microtasks (job starts, completions) run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs one job per key at a time, and other keys side by side', async () => {
    const queue = new KeyedQueue(4);
    const gates = { a1: deferred(), a2: deferred(), b1: deferred() };
    const started: string[] = [];
    const job = (name: keyof typeof gates) => async () => {
      started.push(name);
      await gates[name].promise;
    };
    const a1 = queue.push('a', job('a1'));
    await tick();
    const a2 = queue.push('a', job('a2'));
    const b1 = queue.push('b', job('b1'));
    await tick();
    expect(started).toEqual(['a1', 'b1']);
    expect(queue.running).toBe(2);

    gates.a1.resolve();
    await a1;
    await tick();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    gates.a2.resolve();
    gates.b1.resolve();
    await Promise.all([a2, b1]);
    await queue.idle();
    expect(queue.running).toBe(0);
  });

  it('never runs more jobs than its concurrency', async () => {
    const queue = new KeyedQueue(2);
    const gate = deferred();
    let running = 0;
    let most = 0;
    const all = Array.from({ length: 6 }, (_, i) =>
      queue.push(`k${i}`, async () => {
        running++;
        most = Math.max(most, running);
        await gate.promise;
        running--;
      }),
    );
    await tick();
    expect(queue.running).toBe(2);
    expect(queue.waiting).toBe(4);
    gate.resolve();
    await Promise.all(all);
    expect(most).toBe(2);
  });

  it('coalesces requests for a busy key into one more run, with the newest job', async () => {
    const queue = new KeyedQueue(1);
    const gate = deferred();
    const runs: string[] = [];
    const first = queue.push('a', async () => {
      runs.push('first');
      await gate.promise;
    });
    await tick();
    const later = ['second', 'third', 'fourth'].map((name) => queue.push('a', async () => void runs.push(name)));
    expect(queue.waiting).toBe(1);
    gate.resolve();
    await Promise.all([first, ...later]);
    expect(runs).toEqual(['first', 'fourth']);
  });

  it('reports a failing job and carries on', async () => {
    const errors: [string, unknown][] = [];
    const queue = new KeyedQueue(1, (key, error) => errors.push([key, error]));
    const boom = new Error('The Engine refused.');
    await queue.push('a', async () => {
      throw boom;
    });
    let ran = false;
    await queue.push('a', async () => void (ran = true));
    expect(errors).toEqual([['a', boom]]);
    expect(ran).toBe(true);
  });

  it('when closed: drops what has not started, lets running jobs finish, takes nothing new', async () => {
    const queue = new KeyedQueue(1);
    const gate = deferred();
    const runs: string[] = [];
    const running = queue.push('a', async () => {
      runs.push('running');
      await gate.promise;
    });
    const waiting = queue.push('b', async () => void runs.push('waiting'));
    await tick();
    queue.close();
    await waiting; // settled at once: it will never run
    await queue.push('c', async () => void runs.push('after close'));
    expect(queue.running).toBe(1);
    gate.resolve();
    await running;
    await queue.idle();
    expect(runs).toEqual(['running']);
  });

  it('aborts running jobs through their signal', async () => {
    const queue = new KeyedQueue(2);
    const reasons: unknown[] = [];
    const job = (signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          reasons.push(signal.reason);
          resolve();
        });
      });
    const both = [queue.push('a', job), queue.push('b', job)];
    await tick();
    queue.abort(new Error('The grace period is over.'));
    await Promise.all(both);
    expect(reasons.map((r) => (r as Error).message)).toEqual(['The grace period is over.', 'The grace period is over.']);
  });

  it('refuses a concurrency below one', () => {
    expect(() => new KeyedQueue(0)).toThrow('The concurrency must be a whole number of at least 1, not 0.');
  });
});
