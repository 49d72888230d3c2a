/**
 * Writing a settings file so that readers only ever see the old or the new contents: the text
 * goes to a temporary file in the same directory (same file system, so the rename is atomic),
 * is flushed to disk, and is then renamed over the target. A crash leaves at most a stray
 * temporary file, never a half-written config or credentials file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /**
   * File mode of the new file (0600 for secrets). The temporary file is created with it, so a
   * secret is never readable by others, not even for an instant before a chmod.
   */
  mode?: number;
}

export async function writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o644;
  const dir = dirname(path);
  // 0700: the directory holds tokens; nobody else needs to list it.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse a file someone planted under the temporary name.
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
