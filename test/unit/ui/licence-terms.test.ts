import { describe, expect, it } from 'vitest';
import { licenceTerms, safeLink } from '../../../src/ui/licence-terms.js';
import type { License } from '../../../src/sdk/types/licenses.js';

const licence = (fields: Partial<License>): License => ({ id: 'l', name: 'L', ...fields }) as License;
const day = (date: Date) => date.toISOString().slice(0, 10);

describe('a licence in words', () => {
  it('names its time and its uses', () => {
    expect(licenceTerms(licence({ expiry: 'indefinite', uses: 0 }), day)).toBe('Indefinite');
    expect(licenceTerms(licence({ expiry: 'relative_date', days_valid: 1, uses: 1 }), day)).toBe('1 day from activation, 1 use');
    expect(licenceTerms(licence({ expiry: 'relative_date', days_valid: 30, uses: 5 }), day)).toBe('30 days from activation, 5 uses');
    expect(licenceTerms(licence({ expiry: 'absolute_date', expires_at: '2027-01-01T00:00:00Z' }), day)).toBe('Until 2027-01-01');
  });

  it('never says "undefined" or "Invalid Date" for missing or broken fields', () => {
    expect(licenceTerms(licence({ expiry: 'absolute_date', expires_at: 'soon' }), day)).toBe('Indefinite');
    expect(licenceTerms(licence({ expiry: 'relative_date' }), day)).toBe('Indefinite');
    expect(licenceTerms(licence({}))).toBe('Indefinite');
  });

  it('follows only web links', () => {
    expect(safeLink('https://example.org/terms')).toBe('https://example.org/terms');
    expect(safeLink('http://example.org')).toBe('http://example.org/');
    expect(safeLink('javascript:alert(1)')).toBeUndefined();
    expect(safeLink('data:text/html,<script>alert(1)</script>')).toBeUndefined();
    expect(safeLink('not a url')).toBeUndefined();
    expect(safeLink(null)).toBeUndefined();
  });
});
