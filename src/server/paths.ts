/** Where the server keeps files by default (XDG base directories). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'hsp', 'marketplace');
}

export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hsp');
}
