/**
 * The image a build runs, checked before it leaves the agent: a build's `container_repository`
 * and `container_tag` are marketplace text, and only a well-formed reference may reach the
 * Docker Engine or an operator's hook.
 */
import type { Build } from '../index.js';
import { DIGEST, InvalidImageReference, parseImageReference, TAG, type ImageReference } from '../oci/image-reference.js';
import { pinnedToBuildDigest } from './pinned-image.js';

export { InvalidImageReference, parseImageReference, type ImageReference } from '../oci/image-reference.js';

/**
 * The image a build runs: `container_repository` with `container_tag` (a tag, or a digest
 * such as `sha256:…`); `latest` when neither the tag nor the repository names a version,
 * because the Engine pulls every tag of a repository when asked for none; `name@digest` when
 * the build records `container_digest`.
 */
export function imageOfBuild(build: Pick<Build, 'container_repository' | 'container_tag' | 'container_digest'>): ImageReference {
  // A build that records its image's digest runs exactly that image (pinned-image.ts).
  return pinnedToBuildDigest(taggedImageOfBuild(build), build);
}

function taggedImageOfBuild(build: Pick<Build, 'container_repository' | 'container_tag'>): ImageReference {
  const repository: unknown = build.container_repository;
  const tag: unknown = build.container_tag;
  if (repository === null || repository === undefined || repository === '') {
    throw new InvalidImageReference('The build names no container image (container_repository is empty).');
  }
  if (typeof repository !== 'string') throw new InvalidImageReference('The build\'s container_repository is not text.');
  if (tag !== null && tag !== undefined && typeof tag !== 'string') throw new InvalidImageReference('The build\'s container_tag is not text.');
  // The reference server's own sample data ends repositories with "/"
  // ("p3000/cql-translation-product/"); the slash means nothing, and what remains is checked in full.
  const trimmed = repository.replace(/\/+$/, '');
  if (tag === null || tag === undefined || tag === '') {
    const parsed = parseImageReference(trimmed);
    return parsed.tag === undefined && parsed.digest === undefined ? parseImageReference(`${trimmed}:latest`) : parsed;
  }
  if (/[:@]/.test(trimmed.slice(trimmed.lastIndexOf('/') + 1))) {
    throw new InvalidImageReference(`The build's container_repository ${JSON.stringify(repository)} already has a tag or digest, and container_tag gives another.`);
  }
  if (!DIGEST.test(tag) && !TAG.test(tag)) {
    throw new InvalidImageReference(`The build's container_tag ${JSON.stringify(tag)} is neither a tag (1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-") nor a digest.`);
  }
  return parseImageReference(DIGEST.test(tag) ? `${trimmed}@${tag}` : `${trimmed}:${tag}`);
}

