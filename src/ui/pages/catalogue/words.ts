/**
 * Plain words for what the API answers: counts, sizes, missing values. Nothing here ever
 * returns "undefined", "null" or "NaN": a missing value becomes a dash or a word.
 */

/** "1 product", "24 products". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
}

/** The text, or an em dash when there is none. */
export function orDash(value: string | null | undefined): string {
  const text = value?.trim();
  return text ? text : '—';
}

/** Paragraphs of plain text: blank lines separate them. Never HTML. */
export function paragraphs(text: string | null | undefined): string[] {
  return (text ?? '')
    .split(/\r?\n\s*\r?\n/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The first paragraph, cut at a word near `max` characters with an ellipsis. */
export function summary(text: string | null | undefined, max = 160): string {
  const first = (paragraphs(text)[0] ?? '').replace(/\s+/g, ' ');
  if (first.length <= max) return first;
  const cut = first.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:–—-]+$/, '')}…`;
}

/** The letter a product's tile shows when it has no logo. */
export function initial(name: string | null | undefined): string {
  const match = /[\p{L}\p{N}]/u.exec(name ?? '');
  return match ? match[0].toLocaleUpperCase() : '?';
}

/** Megabytes as people read them: "512 MB", "2 GB", "1.5 GB". */
export function memory(megabytes: number): string {
  if (megabytes >= 1024 && megabytes % 256 === 0) return `${(megabytes / 1024).toLocaleString('en', { maximumFractionDigits: 2 })} GB`;
  return `${megabytes.toLocaleString('en')} MB`;
}

/** "a, b and c". */
export function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
