/**
 * OCI image references, `[domain[:port]/]path[:tag][@digest]`, checked against the grammar of
 * docker/distribution's `reference` package: what a manifest may name, and what the agent lets
 * reach the Docker Engine or an operator's hook (a build's image is marketplace text).
 */

export interface ImageReference {
  /** The registry host (with its port), when the reference names one. */
  domain?: string;
  /** The repository path below the registry, e.g. `library/nginx`. */
  path: string;
  tag?: string;
  /** `algorithm:hex`, when the reference pins a digest. */
  digest?: string;
  /** `domain/path`: what the Engine's image pull takes as `fromImage`. */
  name: string;
  /** The full reference as it is pulled and run: `name:tag`, `name@digest` or both. */
  reference: string;
}

/** The whole reference, as docker/distribution caps a name. */
export const MAX_REFERENCE_LENGTH = 255;

// The pieces of docker/distribution's reference/regexp.go, in the same order.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainNameComponent}(?:\\.${domainNameComponent})*|${ipv6Address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;

const DOMAIN = new RegExp(`^${domainAndPort}$`);
const PATH = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
export const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export class InvalidImageReference extends Error {
  override name = 'InvalidImageReference';
  /** What is wrong, as a phrase that follows the quoted reference: `has a digest that is not algorithm:hex`. */
  readonly reason: string;

  constructor(message: string, reason: string = message) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Parses `[domain[:port]/]path[:tag][@digest]`. The first component is a registry only when it
 * looks like a host (a dot, a port or `localhost`), as `docker pull` decides; otherwise it is
 * part of the path, where uppercase is not allowed.
 */
export function parseImageReference(text: string): ImageReference {
  const refused = (why: string) => new InvalidImageReference(`The image reference ${shown(text)} ${why}.`, why);
  if (typeof text !== 'string' || text.length === 0) throw new InvalidImageReference('The image reference is empty.', 'is empty');
  if (text.length > MAX_REFERENCE_LENGTH) {
    const why = `is ${text.length} characters long; at most ${MAX_REFERENCE_LENGTH} are allowed`;
    throw new InvalidImageReference(`The image reference ${why}.`, why);
  }

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw refused('has a digest that is not algorithm:hex');
  }

  let domain: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      domain = first;
      rest = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) throw refused('names a registry that is not a host name with an optional port');
    }
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw refused('has a tag that is not 1 to 128 letters, digits, "_", "." or "-" (not starting with "." or "-")');
  }

  if (!PATH.test(rest)) {
    throw refused('is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-"');
  }
  const name = domain === undefined ? rest : `${domain}/${rest}`;
  const reference = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return { ...(domain === undefined ? {} : { domain }), path: rest, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }), name, reference };
}

/** Marketplace text quoted for a message: escaped, and clipped so a huge value stays one line. */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
