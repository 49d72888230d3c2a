import { describe, expect, it } from 'vitest';
import { environment, nodeVersion, randomInt, randomUUID, unref } from '../../src/runtime.js';

describe('runtime (what the SDK needs from Node or a browser)', () => {
  it('randomInt stays in [min, max) and reaches both ends', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const value = randomInt(3, 7);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThan(7);
      seen.add(value);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('randomInt refuses an empty or too wide range with a sentence', () => {
    expect(() => randomInt(5, 5)).toThrow(/0 < max - min/);
    expect(() => randomInt(0, 2 ** 33)).toThrow(/2\^32/);
  });

  it('randomUUID makes distinct version 4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 500 }, () => randomUUID()));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('knows it runs on Node, with its environment', () => {
    expect(nodeVersion).toBe(process.versions.node);
    expect(environment()).toBe(process.env);
  });

  it('unref lets Node exit and returns the timer; a browser-style number passes through', () => {
    const timer = setTimeout(() => {}, 60_000);
    expect(unref(timer)).toBe(timer);
    expect(timer.hasRef()).toBe(false);
    clearTimeout(timer);
    expect(unref(42)).toBe(42);
  });
});
