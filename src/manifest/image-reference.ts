/**
 * Container image references, `[registry[:port]/]repository[:tag][@digest]`, read as Docker
 * reads them: the colon of a registry's port is not a tag (`localhost:5000/app` is the tag
 * `latest` of `localhost:5000/app`), and a reference without a tag means `latest`.
 */
import type { ImageSpec } from './model.js';

const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

export type ImageReference = Omit<ImageSpec, 'registry'>;

/** The parts of `reference`, or why it is not one (a phrase to follow "is not an image reference: "). */
export function parseImageReference(reference: string): ImageReference | { problem: string } {
  const [name = '', digest, extra] = reference.split('@');
  if (extra !== undefined) return { problem: 'it has more than one "@"' };
  if (digest !== undefined && !DIGEST.test(digest)) return { problem: `the digest "${digest}" is not algorithm:hex (such as sha256:…)` };
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : 'latest';
  if (!repository) return { problem: 'the repository is missing' };
  if (!TAG.test(tag)) return { problem: `the tag "${tag}" is not letters, digits, "_", "." and "-" (up to 128)` };
  const components = repository.split('/');
  if (components.length > 1 && isDomain(components[0]!)) components.shift();
  const wrong = components.find((c) => !COMPONENT.test(c));
  if (wrong !== undefined) return { problem: `"${wrong}" is not a repository name (lower-case letters, digits and single separators)` };
  return { repository, tag, ...(digest !== undefined ? { digest } : {}) };
}

/** `repository:tag[@digest]`. */
export function formatImageReference(image: ImageReference): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** The registry a repository lives in, as the specification writes it (Docker Hub when none is named). */
export function registryOf(repository: string): string {
  const [first, ...rest] = repository.split('/');
  return rest.length && first && isDomain(first) ? `https://${first}` : 'https://index.docker.io/v1/';
}

function isDomain(component: string): boolean {
  return (component.includes('.') || component.includes(':') || component === 'localhost') && DOMAIN.test(component);
}
