/**
 * Where an image reference is looked up, as `docker pull` decides: Docker Hub for references
 * without a registry (official images under `library/`), HTTPS everywhere except loopback.
 */
import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/oci/image-reference.js';
import { DOCKER_HUB_KEY, endpointOf, isLoopback } from '../../../src/oci/registry-endpoint.js';

const endpoint = (reference: string) => endpointOf(parseImageReference(reference));

describe('the registry of an image reference', () => {
  it.each([
    ['nginx:1.27', { name: 'docker.io', origin: 'https://registry-1.docker.io', repository: 'library/nginx', credentialKey: DOCKER_HUB_KEY }],
    ['acme/app:1.0', { name: 'docker.io', origin: 'https://registry-1.docker.io', repository: 'acme/app', credentialKey: DOCKER_HUB_KEY }],
    ['docker.io/library/busybox:1', { name: 'docker.io', origin: 'https://registry-1.docker.io', repository: 'library/busybox', credentialKey: DOCKER_HUB_KEY }],
    ['index.docker.io/acme/app', { name: 'docker.io', origin: 'https://registry-1.docker.io', repository: 'acme/app', credentialKey: DOCKER_HUB_KEY }],
    ['ghcr.io/acme/app:1.0', { name: 'ghcr.io', origin: 'https://ghcr.io', repository: 'acme/app', credentialKey: 'ghcr.io' }],
    ['registry.example.org:8443/team/app', { name: 'registry.example.org:8443', origin: 'https://registry.example.org:8443', repository: 'team/app', credentialKey: 'registry.example.org:8443' }],
    ['127.0.0.1:5000/app:1', { name: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000', repository: 'app', credentialKey: '127.0.0.1:5000' }],
    ['127.8.9.10:5000/app:1', { name: '127.8.9.10:5000', origin: 'http://127.8.9.10:5000', repository: 'app', credentialKey: '127.8.9.10:5000' }],
    ['localhost:5000/app', { name: 'localhost:5000', origin: 'http://localhost:5000', repository: 'app', credentialKey: 'localhost:5000' }],
    ['[::1]:5000/app', { name: '[::1]:5000', origin: 'http://[::1]:5000', repository: 'app', credentialKey: '[::1]:5000' }],
    ['10.0.0.5:5000/app', { name: '10.0.0.5:5000', origin: 'https://10.0.0.5:5000', repository: 'app', credentialKey: '10.0.0.5:5000' }],
    ['128.0.0.1:5000/app', { name: '128.0.0.1:5000', origin: 'https://128.0.0.1:5000', repository: 'app', credentialKey: '128.0.0.1:5000' }],
  ])('%s', (reference, expected) => {
    expect(endpoint(reference)).toEqual(expected);
  });

  it('counts only 127.0.0.0/8, ::1 and localhost as loopback', () => {
    for (const host of ['127.0.0.1', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['10.0.0.1', '0.0.0.0', '::', '128.0.0.1', 'localhost.example.org', 'evil-localhost', '127.0.0.1.nip.io', 'registry']) expect(isLoopback(host), host).toBe(false);
  });
});
