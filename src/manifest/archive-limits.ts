/**
 * The limits packing and unpacking share, so that every archive `packDirectory` makes is one
 * `unpackArchive` accepts.
 */

/**
 * Largest archive a marketplace accepts as a build asset: the default upload limit of
 * `hsp serve` (`DEFAULT_CONFIG.uploadLimit` in src/server/index.ts, kept equal by a test).
 * Not imported from there because that would load the whole server into every `hsp` run.
 */
export const MAX_ASSET_BYTES = 50 * 1024 * 1024;

/**
 * Most bytes of file content one archive may unpack to. An asset is at most 50 MiB
 * compressed; 1 GiB leaves room for any honest compression ratio while stopping a
 * "zip bomb" long before it fills a disk.
 */
export const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;

/** Most entries (files, folders, links) in one archive: each costs an inode and a syscall or more. */
export const MAX_ENTRIES = 100_000;
