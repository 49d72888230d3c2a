/** `--connect-timeout` / HSP_CONNECT_TIMEOUT: read like the other durations of `hsp serve`, the flag first. */
import { describe, expect, it } from 'vitest';
import { serveLimits } from '../../../src/cli/commands/serve-limits.js';

describe('hsp serve --connect-timeout', () => {
  it('absent: the server keeps its default', () => {
    expect(serveLimits({}, {}).connectTimeoutMs).toBeUndefined();
  });

  it('the flag, else the variable', () => {
    expect(serveLimits({ connectTimeout: '30s' }, { HSP_CONNECT_TIMEOUT: '5s' }).connectTimeoutMs).toBe(30_000);
    expect(serveLimits({}, { HSP_CONNECT_TIMEOUT: '1500ms' }).connectTimeoutMs).toBe(1_500);
    expect(serveLimits({}, { HSP_CONNECT_TIMEOUT: '20' }).connectTimeoutMs).toBe(20_000);
  });

  it('a bad value: one sentence naming the flag or the variable', () => {
    expect(() => serveLimits({ connectTimeout: 'later' }, {})).toThrow('--connect-timeout must be a duration such as 30s, 2m or 1500ms, not "later".');
    expect(() => serveLimits({}, { HSP_CONNECT_TIMEOUT: '0s' })).toThrow('HSP_CONNECT_TIMEOUT must be longer than 0 ms.');
    expect(() => serveLimits({ connectTimeout: '600h' }, {})).toThrow('--connect-timeout must be shorter than 24 days, not "600h".');
  });
});
