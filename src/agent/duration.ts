/**
 * Durations as operators write them on a command line or in a unit file: `30s`, `2m`, `1500ms`,
 * `1h`, or a plain number of seconds (systemd's habit, so `--grace-period 30` means 30 s).
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or a `RangeError` naming the option and the accepted forms. */
export function parseDuration(text: string, option = 'The duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) throw new RangeError(`${option} must be a duration such as 30s, 2m or 1500ms, not "${text}".`);
  const ms = Number(match[1]) * UNITS[(match[2] ?? 's').toLowerCase()]!;
  // setTimeout overflows past 2^31-1 ms (about 24.8 days) and then fires at once.
  if (ms > 2 ** 31 - 1) throw new RangeError(`${option} must be shorter than 24 days, not "${text}".`);
  return Math.round(ms);
}
