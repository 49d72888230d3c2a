import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HspError, InvalidArgumentError, Marketplace, VERSION } from '../../../src/index.js';
import { APIResource } from '../../../src/sdk/resource.js';

describe('new Marketplace()', () => {
  it.each([
    [{ baseUrl: '' }, 'new Marketplace() needs a baseUrl'],
    [{ baseUrl: 'not a url' }, 'The marketplace URL "not a url" is not a valid URL.'],
    [{ baseUrl: 'ftp://example.org' }, 'The marketplace URL must start with http:// or https://'],
    [{ baseUrl: 'http://x', dialect: 'r3' }, 'dialect must be "auto", "r1" or "r2", got "r3".'],
  ])('rejects %j with one sentence', (options, message) => {
    expect(() => new Marketplace(options as never)).toThrow(InvalidArgumentError);
    expect(() => new Marketplace(options as never)).toThrow(message);
  });

  it('normalises the base URL', () => {
    const client = new Marketplace({ baseUrl: 'http://127.0.0.1:3000/api/?x=1#frag' });
    expect(client.baseUrl).toBe('http://127.0.0.1:3000/api');
    expect(client.url('/products', { page: 2 })).toBe('http://127.0.0.1:3000/api/products?page=2');
  });

  it('reports the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});

describe('every resource method', () => {
  // Port 9 (discard) refuses at once on loopback: no request here can succeed.
  const client = new Marketplace({ baseUrl: 'http://127.0.0.1:9', dialect: 'r2', maxRetries: 0 });
  const calls = Object.entries(client)
    .filter(([, value]) => value instanceof APIResource)
    .flatMap(([resource, value]) =>
      Object.getOwnPropertyNames(Object.getPrototypeOf(value))
        .filter((method) => method !== 'constructor' && method !== 'redirectUrl')
        .map((method) => [`${resource}.${method}`, (value as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(value)] as const),
    );

  it('covers every resource family', () => {
    expect(calls.length).toBeGreaterThan(130);
  });

  it.each(calls)('%s reports bad input through its promise, never by throwing', async (_name, method) => {
    let result: unknown;
    expect(() => {
      result = method('not-a-uuid', 'not-a-uuid', 'not-a-uuid', 'not-a-uuid', 'not-a-uuid');
    }).not.toThrow();
    expect(typeof (result as PromiseLike<unknown>).then).toBe('function');
    await expect(result).rejects.toBeInstanceOf(HspError);
  });
});
