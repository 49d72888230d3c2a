import { describe, expect, it } from 'vitest';
import { describeSize, parseSize } from '../../src/size.js';

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

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['64k', 65536],
    ['1MiB', 1024 * 1024],
    ['50 MB', 50 * 1024 * 1024],
    ['1.5g', 1.5 * 1024 ** 3],
  ])('%s → %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it('refuses what is not a size, nothing, and more than 4 GiB, naming the option', () => {
    expect(() => parseSize('lots', '--upload-limit')).toThrow('--upload-limit must be a size such as 512k, 1MiB or 50m, not "lots".');
    expect(() => parseSize('0', '--upload-limit')).toThrow('--upload-limit must be at least 1 byte, not "0".');
    expect(() => parseSize('5g', '--upload-limit')).toThrow('--upload-limit must be at most 4 GiB, not "5g".');
  });
});
