import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { unpackArchive } from '../../../src/manifest/unpack.js';

/**
 * The modes and owners an archive asks for are not what lands on disk: no setuid, setgid or
 * sticky bit and no write for group or others, whoever unpacks (this suite runs as root in CI,
 * where tar would otherwise keep more), and never the archive's owners.
 */

const scratch = mkdtempSync(join(tmpdir(), 'hsp-unpack-modes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runs = 0;
const freshTarget = () => join(mkdtempSync(join(scratch, `${++runs}-`)), 'out');

interface ModeEntry {
  path: string;
  type?: NonNullable<HeaderData['type']>;
  mode: number;
  body?: string;
  linkpath?: string;
  uid?: number;
  gid?: number;
}

/** A tar archive with exactly the modes and owners given, as a hostile packer would write it. */
function tarWithModes(entries: ModeEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    const fields: HeaderData = {
      path: entry.path,
      type: entry.type ?? 'File',
      mode: entry.mode,
      size: body.length,
      linkpath: entry.linkpath,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      uname: 'someone',
      gname: 'somegroup',
      mtime: new Date(0),
    };
    new Header(fields).encode(header);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const modeOf = (path: string) => statSync(path).mode & 0o7777;
/** What the process's umask leaves of a mode: the umask can only take more away. */
const underUmask = (mode: number) => {
  const mask = process.umask();
  return mode & ~mask;
};

const hostile: ModeEntry[] = [
  { path: './', type: 'Directory', mode: 0o1777 },
  { path: 'setuid-setgid-everything', mode: 0o6777, body: '#!/bin/sh\necho hi\n' },
  { path: 'setuid-root-tool', mode: 0o4755, body: '#!/bin/sh\nid\n' },
  { path: 'setgid-tool', mode: 0o2711, body: '#!/bin/sh\nid\n' },
  { path: 'world-writable.txt', mode: 0o666, body: 'anyone may change me' },
  { path: 'sticky-shared/', type: 'Directory', mode: 0o1777 },
  { path: 'setgid-folder/', type: 'Directory', mode: 0o2775 },
  { path: 'sticky-shared/inside', mode: 0o7755, body: 'x' },
  { path: 'hard-copy', type: 'Link', mode: 0o6777, linkpath: 'setuid-setgid-everything' },
  { path: 'plain.txt', mode: 0o644, body: 'plain' },
  { path: 'private', mode: 0o600, body: 'mine' },
];

describe('unpackArchive and modes', () => {
  it('never creates setuid, setgid or sticky files or folders, nor ones others may write', async () => {
    for (const data of [tarWithModes(hostile), gzipSync(tarWithModes(hostile))]) {
      const out = freshTarget();
      await unpackArchive(data, out);
      expect(modeOf(join(out, 'setuid-setgid-everything'))).toBe(underUmask(0o755));
      expect(modeOf(join(out, 'setuid-root-tool'))).toBe(underUmask(0o755));
      expect(modeOf(join(out, 'setgid-tool'))).toBe(underUmask(0o711));
      expect(modeOf(join(out, 'world-writable.txt'))).toBe(underUmask(0o644));
      expect(modeOf(join(out, 'sticky-shared'))).toBe(underUmask(0o755));
      expect(modeOf(join(out, 'setgid-folder'))).toBe(underUmask(0o755));
      expect(modeOf(join(out, 'sticky-shared/inside'))).toBe(underUmask(0o755));
      // A hard link is the same file: the mode its header asks for does not come back in through it.
      expect(modeOf(join(out, 'hard-copy'))).toBe(underUmask(0o755));
      expect(statSync(join(out, 'hard-copy')).ino).toBe(statSync(join(out, 'setuid-setgid-everything')).ino);
      // Ordinary modes pass unchanged, and the content is all there.
      expect(modeOf(join(out, 'plain.txt'))).toBe(underUmask(0o644));
      expect(modeOf(join(out, 'private'))).toBe(0o600);
      expect(readFileSync(join(out, 'setuid-root-tool'), 'utf8')).toBe('#!/bin/sh\nid\n');
      // The folder itself (the archive's "./" asked for 01777) is not sticky or writable by others.
      expect(modeOf(out) & 0o7022).toBe(0);
    }
  });

  it('leaves out the special bits even when the umask would let everything through', async () => {
    const previous = process.umask(0);
    try {
      const out = freshTarget();
      await unpackArchive(tarWithModes([...hostile, { path: 'implied/parent/file', mode: 0o777, body: 'x' }]), out);
      expect(modeOf(out)).toBe(0o755);
      expect(modeOf(join(out, 'implied'))).toBe(0o755);
      expect(modeOf(join(out, 'implied/parent/file'))).toBe(0o755);
      expect(modeOf(join(out, 'setuid-setgid-everything'))).toBe(0o755);
      expect(modeOf(join(out, 'world-writable.txt'))).toBe(0o644);
      expect(modeOf(join(out, 'sticky-shared'))).toBe(0o755);
      expect(modeOf(join(out, 'sticky-shared/inside'))).toBe(0o755);
    } finally {
      process.umask(previous);
    }
  });

  it("never gives the unpacked files the archive's owners, not even when run as root", async () => {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const foreign = uid === 4242 ? 4343 : 4242;
    const out = freshTarget();
    await unpackArchive(
      tarWithModes([
        { path: 'theirs/', type: 'Directory', mode: 0o755, uid: foreign, gid: foreign },
        { path: 'theirs/file', mode: 0o644, body: 'x', uid: foreign, gid: foreign },
        { path: 'owned-by-root', mode: 0o4755, body: 'x', uid: 0, gid: 0 },
      ]),
      out,
    );
    for (const path of ['theirs', 'theirs/file', 'owned-by-root']) {
      const info = lstatSync(join(out, path));
      expect({ path, uid: info.uid, gid: info.gid }).toEqual({ path, uid, gid });
    }
    expect(modeOf(join(out, 'owned-by-root')) & 0o7000).toBe(0);
  });
});
