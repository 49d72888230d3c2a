/**
 * Real exchanges recorded from the reference Marketplace server, read from the shared
 * reference folder beside the repository (set HSP_SHARED_DIR to put it elsewhere). The
 * project keeps no copy of them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Capture {
  file: string;
  name: string;
  who: string;
  request: { method: string; path: string; query: Record<string, unknown> | null; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
  note?: string;
  transport?: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = process.env.HSP_SHARED_DIR ?? resolve(repoRoot, '../shared');
export const capturesDir = join(sharedDir, 'reference/captures');
export const hasCaptures = existsSync(capturesDir);

export function loadCaptures(): Capture[] {
  if (!hasCaptures) return [];
  return readdirSync(capturesDir)
    .filter((file) => /^\d+-.*\.json$/.test(file))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(capturesDir, file), 'utf8')) as Omit<Capture, 'file'>) }));
}

export function capture(name: string): Capture {
  const found = loadCaptures().find((c) => c.name === name || c.file.startsWith(name));
  if (!found) throw new Error(`no capture named ${name} in ${capturesDir}`);
  return found;
}
