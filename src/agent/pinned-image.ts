/**
 * Builds whose image is pinned: `container_digest` is the manifest digest the tag pointed to
 * when the build was published (`hsp publish` resolves it). The agent runs `name@digest`,
 * never the tag, so a tag pushed again later cannot change what a release runs; and after a
 * pull it checks that the image the Engine holds under that reference really carries the digest
 * (an Engine or a registry mirror that does not verify content would otherwise run another
 * image), refusing, with the reason reported on the instance, when it does not.
 */
import type { Build } from '../index.js';
import { isSha256Digest } from '../oci/digest.js';
import { InvalidImageReference, type ImageReference } from '../oci/image-reference.js';
import { OrchestratorError } from './orchestrators/orchestrator-error.js';

/** `image` pinned to the build's digest; unchanged when the build records none. */
export function pinnedToBuildDigest(image: ImageReference, build: Pick<Build, 'container_digest'>): ImageReference {
  const digest: unknown = build.container_digest;
  if (digest === null || digest === undefined || digest === '') return image;
  if (!isSha256Digest(digest)) {
    throw new InvalidImageReference(`The build's container_digest ${JSON.stringify(String(digest).slice(0, 80))} is not a SHA-256 digest ("sha256:" and 64 lowercase hexadecimal digits).`);
  }
  if (image.digest !== undefined && image.digest !== digest) {
    throw new InvalidImageReference(`The build's image ${image.reference} pins ${image.digest}, but its container_digest is ${digest}.`);
  }
  // The tag stays as information; the digest decides what runs.
  return { ...image, digest, reference: `${image.name}@${digest}` };
}

/** What the check needs of the Engine: `GET /images/{name}/json`, `undefined` for a 404. */
export interface ImageInspector {
  inspectImage(reference: string, signal?: AbortSignal): Promise<{ Id?: string; RepoDigests?: string[] | null } | undefined>;
}

/**
 * After a pull: the image the Engine has under `name@digest` must list that digest among its
 * repository digests. Throws an OrchestratorError naming both digests when it does not.
 */
export async function checkPulledDigest(engine: ImageInspector, image: ImageReference, signal?: AbortSignal): Promise<void> {
  if (image.digest === undefined) return;
  const inspected = await engine.inspectImage(image.reference, signal);
  if (!inspected) {
    throw new OrchestratorError(`Refused to run ${image.reference}: Docker reported the pull done but holds no image with that digest.`);
  }
  const digests = (Array.isArray(inspected.RepoDigests) ? inspected.RepoDigests : [])
    .filter((entry): entry is string => typeof entry === 'string')
    .map((entry) => entry.slice(entry.lastIndexOf('@') + 1));
  if (!digests.includes(image.digest)) {
    const found = digests.length ? digests.join(', ') : 'no registry digest';
    throw new OrchestratorError(`Refused to run ${image.name}: the build pins ${image.digest}, but the image Docker pulled has ${found}.`);
  }
}
