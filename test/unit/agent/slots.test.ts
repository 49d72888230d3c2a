/**
 * The bound on orchestrator actions at once: never more than its size, taken in the order
 * asked, and a waiter whose signal aborts leaves without running.
 */
import { describe, expect, it } from 'vitest';
import { Slots } from '../../../src/agent/slots.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('Slots', () => {
  it('runs at most its size at once, the waiting ones in the order they asked', async () => {
    const slots = new Slots(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await g.opened;
        running--;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await runs[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(most).toBe(2);
  });

  it('frees its slot when the action throws', async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 'next')).toBe('next');
  });

  it('drops a waiter whose signal aborts, with the reason, and never runs it', async () => {
    const slots = new Slots(1);
    const held = gate();
    const first = slots.run(() => held.opened);
    const controller = new AbortController();
    let ran = false;
    const waiting = slots.run(async () => {
      ran = true;
    }, controller.signal);
    const other = slots.run(async () => 'other');
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    held.open();
    await first;
    expect(await other).toBe('other');
    expect(ran).toBe(false);
    await expect(slots.run(async () => {}, controller.signal)).rejects.toThrow('stopping');
  });

  it('refuses a size that is not a whole number of at least 1, in one sentence', () => {
    expect(() => new Slots(0)).toThrow('The number of slots must be a whole number of at least 1, not 0.');
    expect(() => new Slots(1.5)).toThrow(RangeError);
  });
});
