/** `KEY=VALUE` flags (`--set`, `hsp api -f`): repeated on the command line, checked one by one. */
import { UsageError } from './errors.js';

/** A commander option parser collecting every use of a repeatable flag. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Splits at the first `=`; the key must not be empty, the value may be. */
export function splitKeyValue(text: string, flag: string): [key: string, value: string] {
  const at = text.indexOf('=');
  if (at < 1) throw new UsageError(`${flag} must be KEY=VALUE, got "${text}".`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Every `KEY=VALUE` as an object; a key given twice keeps its last value, as in a shell. */
export function keyValues(items: string[], flag: string): Record<string, string> {
  return Object.fromEntries(items.map((item) => splitKeyValue(item, flag)));
}
