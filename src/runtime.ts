/**
 * What the SDK and the event stream need from their host, so that they run in Node and in a
 * browser alike (the Marketplace UI bundles them): randomness from Web Crypto, which both have,
 * and Node's process only when there is one.
 */

/** Node's version, or undefined in a browser. */
export const nodeVersion: string | undefined = typeof process === 'undefined' ? undefined : process.versions?.node;

/** The process environment, or an empty one in a browser (no proxies to honour there). */
export function environment(): Record<string, string | undefined> {
  return typeof process === 'undefined' ? {} : process.env;
}

/** A uniformly random integer in [min, max), as node:crypto's randomInt. */
export function randomInt(min: number, max: number): number {
  const range = max - min;
  if (!(range > 0) || range > 2 ** 32) throw new RangeError(`randomInt needs 0 < max - min <= 2^32, got [${min}, ${max}).`);
  // Rejection sampling: taking a plain modulo would favour the low values.
  const limit = 2 ** 32 - (2 ** 32 % range);
  const word = new Uint32Array(1);
  do globalThis.crypto.getRandomValues(word);
  while ((word[0] as number) >= limit);
  return min + ((word[0] as number) % range);
}

/**
 * A random (version 4) UUID. Built from getRandomValues because browsers offer
 * crypto.randomUUID only to pages served over HTTPS or from loopback.
 */
export function randomUUID(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Lets Node exit while the timer is pending (what `.unref()` does); browsers' timers are numbers. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
