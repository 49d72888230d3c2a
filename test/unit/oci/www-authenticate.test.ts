/** `WWW-Authenticate` challenges as registries send them, one or several per header. */
import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../src/oci/www-authenticate.js';

describe('WWW-Authenticate challenges', () => {
  it('reads Docker Hub\u2019s Bearer challenge', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });

  it('reads an error parameter, spaces, case and unquoted values', () => {
    expect(parseChallenges('bearer  Realm = "https://ghcr.io/token" , service=ghcr.io,scope="repository:acme/app:pull",error="insufficient_scope"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/app:pull', error: 'insufficient_scope' } },
    ]);
  });

  it('reads several challenges in one header', () => {
    expect(parseChallenges('Basic realm="Registry Realm", Bearer realm="https://auth.example.org/token",service="example"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://auth.example.org/token', service: 'example' } },
    ]);
  });

  it('unescapes quoted values and keeps commas inside them', () => {
    expect(parseChallenges('Bearer realm="https://a.example/t?x=1,2",scope="repository:a:pull repository:b:pull",note="say \\"hi\\""')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://a.example/t?x=1,2', scope: 'repository:a:pull repository:b:pull', note: 'say "hi"' } },
    ]);
  });

  it('answers nothing for nothing, junk, or a header far too long', () => {
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('"unterminated')).toEqual([]);
    expect(parseChallenges(`Bearer realm="${'x'.repeat(10_000)}"`)).toEqual([]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });
});
