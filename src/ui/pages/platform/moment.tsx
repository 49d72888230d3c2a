import type { JSX } from 'preact';

const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/**
 * A moment as "since" reads it: the time of day for today, the date and time otherwise
 * ("Running since 14:05", "Running since 3 Dec 2026, 09:12"); the exact time on hover.
 */
export function Moment({ value }: { value: string | null | undefined }): JSX.Element {
  const date = value ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) return <span>an unknown time</span>;
  const today = new Date().toDateString() === date.toDateString();
  return (
    <time dateTime={date.toISOString()} title={exact.format(date)}>
      {today ? timeOfDay.format(date) : dayAndTime.format(date)}
    </time>
  );
}
