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
