/**
 * Ids for records the manifest gives no id: derived from the parent's id and the record's
 * natural key, so the same manifest always names the same records. A create retried after a
 * lost answer, re-run after a crash, or raced by a second `hsp publish` then targets one id,
 * and the server turns the duplicate into a conflict instead of a second record.
 */
import { createHash } from 'node:crypto';

/** Keeps these ids apart from any other scheme hashing the same words. */
const NAMESPACE = 'hsp publish v1';

/**
 * A UUID from SHA-256 of the parts, with the version-4 and variant bits set so it looks like
 * the random UUIDv4s the specification asks for (and passes every UUID check).
 */
export function stableId(...parts: string[]): string {
  const hash = createHash('sha256');
  // Length-prefixed, so ('ab', 'c') and ('a', 'bc') differ.
  for (const part of [NAMESPACE, ...parts]) hash.update(`${part.length}:${part}`);
  const bytes = hash.digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}
