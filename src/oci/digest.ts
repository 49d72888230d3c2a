/**
 * The digests the marketplace records for a build's image: SHA-256, as every registry computes
 * manifest digests, written `sha256:` and 64 lowercase hexadecimal digits (the OCI image spec's
 * form for that algorithm). A leaf: the server, the publisher and the agent all check it.
 */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isSha256Digest(value: unknown): value is string {
  return typeof value === 'string' && SHA256_DIGEST.test(value);
}
