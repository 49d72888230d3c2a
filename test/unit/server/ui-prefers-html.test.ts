/** Which `GET /` is a browser's navigation (sent to the UI) and which an API client's (answered JSON, as before). */
import { describe, expect, it } from 'vitest';
import { prefersHtml } from '../../../src/server/ui.js';

describe('prefersHtml', () => {
  it.each([
    // Chromium, Firefox and Safari navigations.
    'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'application/xhtml+xml,text/html;q=0.9',
    'TEXT/HTML',
    'text/html;q=0.9, application/json;q=0.5',
    'application/json;q=0.5, text/html',
  ])('%s: a browser', (accept) => {
    expect(prefersHtml(accept)).toBe(true);
  });

  it.each([undefined, '', '*/*', 'application/json', 'application/json, text/html', 'text/html;q=0, */*', 'text/html;q=0.5, */*', 'image/png', 'text/*', ',,;', 'text/html;q=abc, application/json'])(
    '%s: not a browser navigation',
    (accept) => {
      expect(prefersHtml(accept)).toBe(false);
    },
  );
});
