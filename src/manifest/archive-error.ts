/**
 * Why a folder could not be packed or an archive could not be unpacked. The message is one
 * sentence for a person; `reason` lets a caller say something more specific (the CLI, for
 * instance, words "not an archive" in terms of the build whose asset it downloaded).
 */

export type ArchiveProblem =
  /** The folder to pack is missing, empty, or holds something that cannot go into an archive. */
  | 'bad-folder'
  /** The data is neither a tar archive nor a compressed one. */
  | 'not-an-archive'
  /** The archive could be read up to a point, then was cut short or corrupt. */
  | 'damaged'
  /** An entry would land outside the target folder, or is of a kind that is never unpacked. */
  | 'unsafe-entry'
  /** Over a size or entry-count limit. */
  | 'too-large'
  /** The target folder exists and may not be replaced. */
  | 'target-exists'
  /** Reading or writing the file system failed. */
  | 'file-system';

export class ArchiveError extends Error {
  override name = 'ArchiveError';

  constructor(
    readonly reason: ArchiveProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
