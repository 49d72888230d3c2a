/**
 * Container image references in manifests, `[registry[:port]/]repository[:tag][@digest]`, read
 * as Docker reads them (the grammar is in src/oci): the colon of a registry's port is not a tag,
 * and a reference without a tag means `latest`.
 */
import { InvalidImageReference, parseImageReference as parseOciReference } from '../oci/image-reference.js';
import type { ImageSpec } from './model.js';

export type ImageReference = Omit<ImageSpec, 'registry'>;

/** The parts of `reference`, or what is wrong with it (a phrase that follows the quoted reference). */
export function parseImageReference(reference: string): ImageReference | { problem: string } {
  try {
    const parsed = parseOciReference(reference);
    return { repository: parsed.name, tag: parsed.tag ?? 'latest', ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}) };
  } catch (error) {
    if (error instanceof InvalidImageReference) return { problem: error.reason };
    throw error;
  }
}

/** `repository:tag[@digest]`. */
export function formatImageReference(image: ImageReference): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** The registry a repository lives in, as the specification writes it (Docker Hub when none is named). */
export function registryOf(repository: string): string {
  const [first, ...rest] = repository.split('/');
  return rest.length && first && /[.:]|^localhost$/.test(first) ? `https://${first}` : 'https://index.docker.io/v1/';
}
