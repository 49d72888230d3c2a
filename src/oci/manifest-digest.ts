/**
 * An image tag → the digest of the manifest it points to now, through the OCI distribution API:
 * `HEAD /v2/<repository>/manifests/<tag>` and its `Docker-Content-Digest` header; when a
 * registry sends no such header, `GET` the manifest and hash it. The request accepts Docker's
 * v2 manifests and manifest lists and OCI manifests and indexes, as `docker pull` does: asked
 * with the OCI types alone, registry 2.8 answers a Docker-pushed tag with an old schema-1
 * manifest, whose digest Docker does not pull by.
 *
 * The digest recorded is that of whatever the tag names, an index included: the Engine pulls
 * `name@<index digest>` and picks its platform from the index, as it does for the tag.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { SHA256_DIGEST } from './digest.js';
import { credentialsFor, type CredentialOptions } from './docker-credentials.js';
import { parseImageReference, type ImageReference } from './image-reference.js';
import { RegistryClient } from './registry-client.js';
import { endpointOf } from './registry-endpoint.js';
import { RegistryError } from './registry-error.js';

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
] as const;

/** distribution refuses manifests over 4 MiB; so does this. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ResolveOptions extends CredentialOptions {
  /** Per request to the registry or its token service (default 30 s). */
  timeoutMs?: number;
  /** An HTTP proxy (e.g. undici's EnvHttpProxyAgent); none by default. */
  dispatcher?: Dispatcher;
}

export interface ResolvedDigest {
  /** The reference as given, e.g. `ghcr.io/acme/app:1.0`. */
  reference: string;
  /** The registry, as people name it: `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  /** `sha256:…` of the manifest (or index) the tag points to. */
  digest: string;
  /** The manifest's media type, when the registry said. */
  mediaType?: string;
}

/** Looks the tag up in its registry; throws a RegistryError with one sentence when it cannot. */
export async function resolveManifestDigest(reference: string | ImageReference, options: ResolveOptions = {}): Promise<ResolvedDigest> {
  const image = typeof reference === 'string' ? parseImageReference(reference) : reference;
  const endpoint = endpointOf(image);
  const tag = image.tag ?? 'latest';
  const client = new RegistryClient(endpoint, {
    credentials: () => credentialsFor(endpoint, options),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const path = `/v2/${endpoint.repository}/manifests/${encodeURIComponent(tag)}`;
  const headers = { accept: MANIFEST_TYPES.join(', ') };
  const named = `${endpoint.name}/${endpoint.repository}:${tag}`;
  const result = (digest: string, mediaType: string | null): ResolvedDigest => ({
    reference: image.reference,
    registry: endpoint.name,
    digest,
    ...(mediaType ? { mediaType } : {}),
  });

  const head = await client.request('HEAD', path, headers, 0);
  check(head.status, head.headers);
  const announced = head.headers.get('docker-content-digest');
  if (head.status === 200 && announced && SHA256_DIGEST.test(announced)) return result(announced, mediaTypeOf(head.headers));

  // No digest in the headers (or a registry that does not answer HEAD): the manifest's own bytes decide.
  const get = await client.request('GET', path, headers, MAX_MANIFEST_BYTES);
  check(get.status, get.headers);
  if (get.status !== 200) throw new RegistryError(endpoint.name, 'bad-answer', `The registry ${endpoint.name} answered HTTP ${get.status} for ${named}.`);
  const digest = `sha256:${createHash('sha256').update(get.body).digest('hex')}`;
  const claimed = get.headers.get('docker-content-digest');
  if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
    throw new RegistryError(endpoint.name, 'bad-answer', `The registry ${endpoint.name} sent a manifest for ${named} whose bytes do not match the digest it announced (${claimed.slice(0, 19)}…).`);
  }
  return result(digest, mediaTypeOf(get.headers));

  /** Statuses and media types that end the lookup, each with its sentence. */
  function check(status: number, responseHeaders: Headers): void {
    if (status === 404) {
      throw new RegistryError(endpoint.name, 'not-found', `The registry ${endpoint.name} has no image ${named}; push it first (docker push ${image.name}:${tag}).`);
    }
    if (status === 403) throw client.refused();
    if (status === 405 || status === 501) return;
    if (status !== 200) throw new RegistryError(endpoint.name, 'bad-answer', `The registry ${endpoint.name} answered HTTP ${status} for ${named}.`);
    const type = mediaTypeOf(responseHeaders);
    if (type && /^application\/vnd\.docker\.distribution\.manifest\.v1\+/.test(type)) {
      throw new RegistryError(endpoint.name, 'bad-answer', `The registry ${endpoint.name} has only an old schema-1 manifest for ${named}, which Docker no longer pulls; push the image again with a current Docker.`);
    }
  }
}

function mediaTypeOf(headers: Headers): string | null {
  return headers.get('content-type')?.split(';')[0]?.trim() || null;
}
