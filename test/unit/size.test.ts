import { describe, expect, it } from 'vitest';
import { describeSize } from '../../src/size.js';

describe('describeSize', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [812, '812 bytes'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [50 * 1024 * 1024, '50 MiB'],
    [1024 ** 3, '1 GiB'],
    [1.5 * 1024 ** 3, '1.5 GiB'],
    [2 * 1024 ** 4, '2 TiB'],
  ])('%d bytes → %s', (bytes, text) => expect(describeSize(bytes)).toBe(text));

  it('rounds up, so a size just over a limit does not read as the limit', () => {
    expect(describeSize(64 * 1024 + 1)).toBe('64.1 KiB');
    expect(describeSize(1024 * 1024 - 1)).toBe('1024 KiB');
  });
});
