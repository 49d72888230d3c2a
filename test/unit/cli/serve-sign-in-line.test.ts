/**
 * The `hsp login` line `hsp serve` prints after a first start: correct to paste into the shell
 * of the platform (every word quoted as it needs, PowerShell and cmd on Windows), with
 * `--insecure-storage` where `hsp login` will find no OS keychain, judged without asking one.
 * That it really signs in, pasted into sh, is test/integration/cli/serve-start-token.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { keychainAbsence } from '../../../src/auth/keychain-presence.js';
import { signInCommand } from '../../../src/cli/commands/serve.js';
import { onlyIf } from '../../helpers/skips.js';

const keytarInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('keytar');
    return true;
  } catch {
    return false;
  }
})();

describe('the sign-in line of hsp serve', () => {
  it('no keychain (HSP_NO_KEYRING, or Linux without a D-Bus session): --insecure-storage', () => {
    expect(signInCommand('http://127.0.0.1:3000', 'marketplace/admin.token', { HSP_NO_KEYRING: '1' }, 'darwin')).toBe(
      'hsp login --url http://127.0.0.1:3000 --with-token --insecure-storage < marketplace/admin.token',
    );
    expect(signInCommand('http://127.0.0.1:3000', '/tmp/a/admin.token', {}, 'linux')).toContain(' --insecure-storage ');
    expect(keychainAbsence({}, 'linux')).toBe('there is no desktop session keychain here (no D-Bus session)');
    expect(keychainAbsence({ HSP_NO_KEYRING: '1', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus' }, 'linux')).toBe('the OS keychain is turned off (HSP_NO_KEYRING)');
  });

  onlyIf(keytarInstalled, 'needs the optional keytar module installed: without it there is never a keychain').it(
    'a keychain that may be there (keytar installed, a D-Bus session): no flag',
    () => {
      expect(signInCommand('http://127.0.0.1:3000', 'admin.token', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus' }, 'linux')).toBe(
        'hsp login --url http://127.0.0.1:3000 --with-token < admin.token',
      );
    },
  );

  onlyIf(!keytarInstalled, 'keytar is installed here').it('keytar not installed: --insecure-storage even with a D-Bus session', () => {
    expect(keychainAbsence({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/bus' }, 'linux')).toBe('the optional keytar module is not installed');
  });

  it('quotes what the shell would split or expand: spaces, quotes, an IPv6 address in brackets', () => {
    const env = { HSP_NO_KEYRING: '1' };
    expect(signInCommand('http://[::1]:3000', "/home/o'brien/my marketplace/admin.token", env, 'linux')).toBe(
      `hsp login --url 'http://[::1]:3000' --with-token --insecure-storage < '/home/o'\\''brien/my marketplace/admin.token'`,
    );
  });

  it('on Windows, a pipe from `type` (PowerShell has no `<`) and double quotes', () => {
    expect(signInCommand('http://127.0.0.1:3000', 'C:\\Users\\Ana Lee\\marketplace\\admin.token', { HSP_NO_KEYRING: '1' }, 'win32')).toBe(
      'type "C:\\Users\\Ana Lee\\marketplace\\admin.token" | hsp login --url http://127.0.0.1:3000 --with-token --insecure-storage',
    );
  });
});
