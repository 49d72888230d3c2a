import { describe, expect, it } from 'vitest';
import { formatImageReference, parseImageReference, registryOf } from '../../../src/manifest/image-reference.js';

describe('parseImageReference', () => {
  it.each([
    ['p3000/marketplace-product-build-example-cds-hooks:latest', { repository: 'p3000/marketplace-product-build-example-cds-hooks', tag: 'latest' }],
    ['nginx', { repository: 'nginx', tag: 'latest' }],
    ['ghcr.io/acme/app:1.4.0', { repository: 'ghcr.io/acme/app', tag: '1.4.0' }],
    // The colon of a registry's port is not a tag.
    ['localhost:5000/app', { repository: 'localhost:5000/app', tag: 'latest' }],
    ['registry.example.org:8443/team/app:2.0-rc.1', { repository: 'registry.example.org:8443/team/app', tag: '2.0-rc.1' }],
    [`app@sha256:${'a'.repeat(64)}`, { repository: 'app', tag: 'latest', digest: `sha256:${'a'.repeat(64)}` }],
    [`localhost:5000/app:1.0@sha256:${'b'.repeat(64)}`, { repository: 'localhost:5000/app', tag: '1.0', digest: `sha256:${'b'.repeat(64)}` }],
  ])('%s', (reference, expected) => {
    expect(parseImageReference(reference)).toEqual(expected);
  });

  it.each([
    ['My App:1.0', 'is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-"'],
    ['app:', 'has a tag that is not 1 to 128 letters, digits, "_", "." or "-" (not starting with "." or "-")'],
    [':1.0', 'is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-"'],
    ['app@sha256:short', 'has a digest that is not algorithm:hex'],
    ['a@b@c', 'has a digest that is not algorithm:hex'],
    ['Acme/app', 'is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-"'],
  ])('rejects %s', (reference, problem) => {
    expect(parseImageReference(reference)).toEqual({ problem });
  });

  it('writes a reference back, and names the registry as the specification does', () => {
    expect(formatImageReference({ repository: 'localhost:5000/app', tag: 'latest' })).toBe('localhost:5000/app:latest');
    expect(formatImageReference({ repository: 'app', tag: '1', digest: `sha256:${'c'.repeat(64)}` })).toBe(`app:1@sha256:${'c'.repeat(64)}`);
    expect(registryOf('p3000/app')).toBe('https://index.docker.io/v1/');
    expect(registryOf('ghcr.io/acme/app')).toBe('https://ghcr.io');
    expect(registryOf('localhost:5000/app')).toBe('https://localhost:5000');
  });
});
