/**
 * A size for a sentence, in binary units: "812 bytes", "50 MiB", "1.5 GiB". Rounded up to one
 * decimal, so a size just over a limit never reads as the limit itself ("64.1 KiB of JSON; at
 * most 64 KiB are allowed").
 */
export function describeSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 'bytes';
  for (const next of ['KiB', 'MiB', 'GiB', 'TiB']) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${Math.ceil(Number((value * 10).toFixed(6))) / 10} ${unit}`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/**
 * A size as people write it on a command line: `512`, `64k`, `1MiB`, `50 MB`, `1.5g` (binary
 * units throughout, as describeSize prints them). Bytes, or a `RangeError` naming the option.
 */
export function parseSize(text: string, option = 'The size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new RangeError(`${option} must be a size such as 512k, 1MiB or 50m, not "${text}".`);
  const bytes = Math.ceil(Number(match[1]) * unit);
  if (bytes < 1) throw new RangeError(`${option} must be at least 1 byte, not "${text}".`);
  if (bytes > 4 * 1024 ** 3) throw new RangeError(`${option} must be at most 4 GiB, not "${text}".`);
  return bytes;
}
