/**
 * Whether `hsp login` will find no OS keychain on this machine, judged without asking one: a
 * keychain can take seconds to answer (or hang) on a headless machine, and a server start
 * must not wait on it to print its sign-in hint. The same reasons ./keychain.ts gives up for
 * before it loads keytar; a keychain that is there but fails only shows when it is used.
 */
import { createRequire } from 'node:module';

/** Why there is certainly no keychain here, or `undefined` when there may be one. */
export function keychainAbsence(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.HSP_NO_KEYRING && env.HSP_NO_KEYRING !== '0') return 'the OS keychain is turned off (HSP_NO_KEYRING)';
  // keytar reaches the Secret Service over the session D-Bus; without one it has nothing to use.
  if (platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) return 'there is no desktop session keychain here (no D-Bus session)';
  try {
    // Found, not loaded: loading the native module is what can be slow.
    createRequire(import.meta.url).resolve('keytar');
  } catch {
    return 'the optional keytar module is not installed';
  }
  return undefined;
}
