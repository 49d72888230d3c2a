import { describe, expect, it } from 'vitest';
import { imageOfBuild, InvalidImageReference, parseImageReference } from '../../../src/agent/image-reference.js';

const digest = `sha256:${'a1'.repeat(32)}`;

describe('parseImageReference', () => {
  it.each([
    ['nginx', { path: 'nginx', name: 'nginx', reference: 'nginx' }],
    ['library/nginx:1.25', { path: 'library/nginx', tag: '1.25', name: 'library/nginx', reference: 'library/nginx:1.25' }],
    ['localhost:5000/a/b:tag', { domain: 'localhost:5000', path: 'a/b', tag: 'tag', name: 'localhost:5000/a/b' }],
    [`ghcr.io/x/y@${digest}`, { domain: 'ghcr.io', path: 'x/y', digest, name: 'ghcr.io/x/y', reference: `ghcr.io/x/y@${digest}` }],
    ['p3000/marketplace-product-build-example-cds-hooks:latest', { path: 'p3000/marketplace-product-build-example-cds-hooks', tag: 'latest' }],
    ['registry.example.org:443/team/app__v2.web:2024.01-rc_1', { domain: 'registry.example.org:443', path: 'team/app__v2.web', tag: '2024.01-rc_1' }],
    [`localhost/app:1@${digest}`, { domain: 'localhost', path: 'app', tag: '1', digest }],
  ])('accepts %s', (text, expected) => {
    expect(parseImageReference(text)).toMatchObject(expected);
  });

  it.each([
    ['x;rm -rf /', 'is not a repository'],
    ['$(id)', 'is not a repository'],
    ['`id`', 'is not a repository'],
    ['a b', 'is not a repository'],
    ['UPPER/case', 'is not a repository'],
    ['-rf', 'is not a repository'],
    ['--privileged', 'is not a repository'],
    ['a/../b', 'is not a repository'],
    ['a..b', 'is not a repository'],
    ['nginx:-latest', 'has a tag'],
    ['nginx:1.25;reboot', 'has a tag'],
    ['nginx@sha256:xyz', 'has a digest'],
    ['bad_host.example:port/x', 'names a registry'],
    ['nginx\n', 'is not a repository'],
  ])('refuses %j with one sentence', (text, why) => {
    expect(() => parseImageReference(text)).toThrow(InvalidImageReference);
    expect(() => parseImageReference(text)).toThrow(why);
    try {
      parseImageReference(text);
    } catch (error) {
      expect((error as Error).message).toMatch(/^The image reference .*\.$/);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('refuses an empty reference', () => {
    expect(() => parseImageReference('')).toThrow('The image reference is empty.');
  });

  it('refuses a reference longer than 255 characters', () => {
    const long = `a/${'b'.repeat(254)}`;
    expect(() => parseImageReference(long)).toThrow('The image reference is 256 characters long; at most 255 are allowed.');
  });
});

describe('imageOfBuild', () => {
  it('joins the repository and the tag', () => {
    expect(imageOfBuild({ container_repository: 'library/nginx', container_tag: '1.25' }).reference).toBe('library/nginx:1.25');
  });

  it('reads a digest in container_tag as a pin', () => {
    expect(imageOfBuild({ container_repository: 'ghcr.io/x/y', container_tag: digest })).toMatchObject({ digest, reference: `ghcr.io/x/y@${digest}` });
  });

  it('pulls "latest" when no version is named (the Engine would pull every tag)', () => {
    expect(imageOfBuild({ container_repository: 'nginx', container_tag: null }).reference).toBe('nginx:latest');
    expect(imageOfBuild({ container_repository: 'nginx:1.25', container_tag: '' }).reference).toBe('nginx:1.25');
  });

  it("drops the reference server's trailing slash", () => {
    expect(imageOfBuild({ container_repository: 'p3000/cql-translation-product/', container_tag: 'v1.0.2' }).reference).toBe('p3000/cql-translation-product:v1.0.2');
  });

  it.each([
    [{ container_repository: null, container_tag: 'x' }, 'names no container image'],
    [{ container_repository: 'nginx:1', container_tag: '2' }, 'already has a tag or digest'],
    [{ container_repository: 'nginx', container_tag: '1.0 && curl evil' }, 'container_tag "1.0 && curl evil" is neither a tag'],
    [{ container_repository: 'nginx', container_tag: '../../etc' }, 'is neither a tag'],
  ])('refuses %j', (build, why) => {
    expect(() => imageOfBuild(build)).toThrow(why);
  });
});
