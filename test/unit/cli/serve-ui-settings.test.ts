/** `hsp serve`'s UI settings: `--no-ui` / HSP_UI, and `--ui-url` / MARKETPLACE_UI_URL, flags first. */
import { describe, expect, it } from 'vitest';
import { uiSettings } from '../../../src/cli/commands/serve.js';
import { UsageError } from '../../../src/cli/errors.js';

describe('uiSettings', () => {
  it('serves the UI unless --no-ui or HSP_UI says no', () => {
    expect(uiSettings({}, {})).toEqual({ serve: true });
    expect(uiSettings({ ui: false }, {})).toEqual({ serve: false });
    for (const no of ['0', 'false', 'No', 'OFF', ' false ']) expect(uiSettings({}, { HSP_UI: no }), no).toEqual({ serve: false });
    for (const yes of ['1', 'true', 'yes', 'on', '']) expect(uiSettings({}, { HSP_UI: yes }), yes).toEqual({ serve: true });
    // The flag wins: --no-ui with HSP_UI=true serves none.
    expect(uiSettings({ ui: false }, { HSP_UI: 'true' })).toEqual({ serve: false });
  });

  it('HSP_UI that is neither yes nor no is a usage error naming it', () => {
    expect(() => uiSettings({}, { HSP_UI: 'maybe' })).toThrow(new UsageError('HSP_UI must be true or false, not "maybe".'));
  });

  it('--ui-url wins over MARKETPLACE_UI_URL; either must be a plain http(s) address', () => {
    expect(uiSettings({ uiUrl: 'https://ui.example.org/app' }, { MARKETPLACE_UI_URL: 'https://old.example.org/' })).toEqual({ serve: true, url: 'https://ui.example.org/app' });
    expect(uiSettings({}, { MARKETPLACE_UI_URL: 'http://127.0.0.1:4200/' })).toEqual({ serve: true, url: 'http://127.0.0.1:4200/' });
    expect(uiSettings({}, { MARKETPLACE_UI_URL: '' })).toEqual({ serve: true });
    expect(() => uiSettings({ uiUrl: 'javascript:alert(1)' }, {})).toThrow(/^--ui-url must be an http or https address/);
    expect(() => uiSettings({}, { MARKETPLACE_UI_URL: 'https://ui.example.org/#' })).toThrow(/^MARKETPLACE_UI_URL must be an http or https address without a user name or a #fragment/);
    expect(() => uiSettings({ uiUrl: '/ui/' }, {})).toThrow(/^--ui-url must be the address of a Marketplace UI such as https:\/\/ui\.example\.org\//);
  });
});
