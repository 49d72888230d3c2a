import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/agent/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1500ms', 1_500],
    ['1h', 3_600_000],
    ['45', 45_000],
    ['0.5s', 500],
    [' 10S ', 10_000],
    ['0', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '30 seconds', '-5s', '1d', '5s5', 's'])('refuses %j in one sentence naming the option', (text) => {
    expect(() => parseDuration(text, '--grace-period')).toThrow(`--grace-period must be a duration such as 30s, 2m or 1500ms, not "${text}".`);
  });

  it('refuses durations a timer cannot hold', () => {
    expect(() => parseDuration('600h', '--grace-period')).toThrow('--grace-period must be shorter than 24 days, not "600h".');
  });
});
