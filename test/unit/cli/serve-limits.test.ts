import { describe, expect, it } from 'vitest';
import { serveLimits } from '../../../src/cli/commands/serve-limits.js';

describe('hsp serve limits', () => {
  it('takes nothing when nothing is said, so the server keeps its defaults', () => {
    expect(serveLimits({}, {})).toEqual({ config: {}, cable: {} });
  });

  it('reads flags, and the environment where no flag is given', () => {
    const limits = serveLimits(
      { corsOrigin: ['https://app.example.com'], queryTimeout: '2s', uploadLimit: '10MiB', cableMaxSubscriptions: '5' },
      { HSP_BODY_LIMIT: '64k', HSP_CORS_ORIGINS: 'https://ignored.example', HSP_CABLE_MAX_ANONYMOUS: '7', HSP_CABLE_MAX_BUFFERED: '1m', HSP_TRUST_FORWARDED_FOR: '1' },
    );
    expect(limits).toEqual({
      config: { corsOrigins: ['https://app.example.com'], queryTimeoutMs: 2000, bodyLimit: 65536, uploadLimit: 10 * 1024 * 1024 },
      cable: { maxSubscriptionsPerConnection: 5, maxAnonymousConnections: 7, maxBufferedBytes: 1024 * 1024, trustForwardedFor: true },
    });
  });

  it('splits HSP_CORS_ORIGINS at commas', () => {
    expect(serveLimits({}, { HSP_CORS_ORIGINS: 'https://a.example, https://b.example:8443' }).config.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
  });

  it('refuses a bad value with one sentence naming the flag or the variable', () => {
    expect(() => serveLimits({ corsOrigin: ['app.example.com'] }, {})).toThrow('--cors-origin must name origins such as https://app.example.com, not "app.example.com".');
    expect(() => serveLimits({}, { HSP_QUERY_TIMEOUT: 'soon' })).toThrow('HSP_QUERY_TIMEOUT must be a duration such as 30s, 2m or 1500ms, not "soon".');
    expect(() => serveLimits({ bodyLimit: '1 parsec' }, {})).toThrow('--body-limit must be a size such as 512k, 1MiB or 50m, not "1 parsec".');
    expect(() => serveLimits({ cableMaxAnonymous: '0' }, {})).toThrow('--cable-max-anonymous must be a whole number of at least 1, not "0".');
    expect(() => serveLimits({ queryTimeout: '0' }, {})).toThrow('The query time limit must be longer than 0 ms.');
  });
});
