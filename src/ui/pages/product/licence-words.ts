/** A licence's limits in words, and which of its links are safe to follow. */
import type { License } from '../../../sdk/types/licenses.js';
import { plural } from '../catalogue/words.js';

/** "No expiry; unlimited uses", "Valid for 30 days after activation; 5 uses". */
export function limits(licence: License): string {
  const date = licence.expires_at ? new Date(licence.expires_at) : undefined;
  const expiry =
    licence.expiry === 'relative_date' && typeof licence.days_valid === 'number'
      ? `Valid for ${plural(licence.days_valid, 'day')} after activation`
      : licence.expiry === 'absolute_date' && date && !Number.isNaN(date.getTime())
        ? `Valid until ${date.toLocaleDateString(undefined, { dateStyle: 'long' })}`
        : 'No expiry';
  const uses = typeof licence.uses === 'number' && licence.uses > 0 ? plural(licence.uses, 'use') : 'unlimited uses';
  return `${expiry}; ${uses}.`;
}

/** Only web links: a licence URL is the publisher's text, never a `javascript:` URL. */
export function safeLink(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
