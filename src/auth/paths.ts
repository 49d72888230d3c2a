/**
 * Where hsp keeps its settings: `HSP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/hsp`, else
 * `~/.config/hsp` (the XDG default, on macOS too, as gh does: one place to document).
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HSP_CONFIG_DIR) return env.HSP_CONFIG_DIR;
  // XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)) return join(env.XDG_CONFIG_HOME, 'hsp');
  return join(env.HOME || homedir(), '.config', 'hsp');
}

/** Profiles and the current profile: no secrets. */
export function configFile(dir: string): string {
  return join(dir, 'config.yaml');
}

/** Tokens, in plain text (mode 0600), only when the user agreed to it. */
export function credentialsFile(dir: string): string {
  return join(dir, 'credentials.yaml');
}
