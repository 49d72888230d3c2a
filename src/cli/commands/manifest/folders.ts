import { stat } from 'node:fs/promises';

/** Whether `path` is an existing folder (checked before writing into it or packing it). */
export async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
