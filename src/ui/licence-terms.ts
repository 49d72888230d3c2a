/** A licence in words, the same on every page, and which of its links are safe to follow. */
import type { License } from '../sdk/types/licenses.js';

/** A licence's own end date is a day of the contract, the same everywhere: shown as that UTC day. */
export const contractDateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** "Indefinite", "30 days from activation", "Until 1 Jan 2027"; ", 5 uses" when uses are counted. */
export function licenceTerms(licence: License, formatDate: (date: Date) => string = (date) => contractDateFormat.format(date)): string {
  const end = licence.expires_at ? new Date(licence.expires_at) : undefined;
  let time = 'Indefinite';
  if (licence.expiry === 'relative_date' && (licence.days_valid ?? 0) > 0) {
    time = `${licence.days_valid} ${licence.days_valid === 1 ? 'day' : 'days'} from activation`;
  } else if (licence.expiry === 'absolute_date' && end && !Number.isNaN(end.getTime())) {
    time = `Until ${formatDate(end)}`;
  }
  const uses = licence.uses ?? 0;
  return uses > 0 ? `${time}, ${uses} ${uses === 1 ? 'use' : 'uses'}` : time;
}

/** Only web links: a licence's or product's URL is someone's text, never a `javascript:` URL. */
export function safeLink(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
