/**
 * Where an image reference lives, as `docker pull` decides it: the registry's API origin, the
 * repository path the registry knows, and the key Docker files the registry's credentials
 * under. HTTPS always, except for loopback registries (127.0.0.0/8, ::1, localhost), which
 * Docker treats as insecure registries by default and which speak plain HTTP in practice.
 */
import { isIP } from 'node:net';
import type { ImageReference } from './image-reference.js';

export interface RegistryEndpoint {
  /** The registry as people name it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`): for messages. */
  name: string;
  /** The distribution API's origin, e.g. `https://registry-1.docker.io`. */
  origin: string;
  /** The repository below the registry, e.g. `library/nginx`. */
  repository: string;
  /** The key of the registry's credentials in Docker's config and credential helpers. */
  credentialKey: string;
}

/** Docker Hub's key in `auths` and for credential helpers, as `docker login` writes it. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_API = 'https://registry-1.docker.io';
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io']);

export function endpointOf(image: Pick<ImageReference, 'domain' | 'path'>): RegistryEndpoint {
  const domain = image.domain?.toLowerCase();
  if (domain === undefined || DOCKER_HUB_NAMES.has(domain)) {
    // Official images live under `library/`: `nginx` is `library/nginx` to the registry.
    const repository = image.path.includes('/') ? image.path : `library/${image.path}`;
    return { name: 'docker.io', origin: DOCKER_HUB_API, repository, credentialKey: DOCKER_HUB_KEY };
  }
  const scheme = isLoopback(hostOf(domain)) ? 'http' : 'https';
  return { name: domain, origin: `${scheme}://${domain}`, repository: image.path, credentialKey: domain };
}

/** The host of `host[:port]` (an IPv6 address keeps no brackets). */
export function hostOf(hostAndPort: string): string {
  if (hostAndPort.startsWith('[')) return hostAndPort.slice(1, hostAndPort.indexOf(']'));
  const colon = hostAndPort.lastIndexOf(':');
  return colon >= 0 ? hostAndPort.slice(0, colon) : hostAndPort;
}

/** 127.0.0.0/8, ::1 and localhost: what never leaves the machine, so plain HTTP exposes nothing. */
export function isLoopback(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^(?:0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./.test(bare);
  return false;
}
