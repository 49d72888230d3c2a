import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../../src/manifest/archive-error.js';
import { packDirectory, PACKED_MTIME } from '../../../src/manifest/pack.js';
import { hasSystemTar } from '../../helpers/system-tar.js';
import { onlyIf, onPosix } from '../../helpers/skips.js';

const scratch = mkdtempSync(join(tmpdir(), 'hsp-pack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshDir = () => mkdtempSync(join(scratch, `${++folders}-`));

/** A content folder, described once and built by both the test and a child process. */
type Node = { path: string; kind: 'dir' } | { path: string; kind: 'file'; content: string; executable?: boolean } | { path: string; kind: 'link'; target: string };

const LONG = `${'deep/'.repeat(12)}${'n'.repeat(120)}.txt`;
const TREE: Node[] = [
  { path: 'index.html', kind: 'file', content: '<h1>App</h1>\n' },
  { path: '.well-known', kind: 'dir' },
  { path: '.well-known/smart-configuration', kind: 'file', content: '{}' },
  { path: 'bin', kind: 'dir' },
  { path: 'bin/start', kind: 'file', content: '#!/bin/sh\necho start\n', executable: true },
  { path: 'empty', kind: 'dir' },
  { path: 'assets', kind: 'dir' },
  { path: 'assets/app.js', kind: 'file', content: 'console.log(1)\n'.repeat(200) },
  { path: 'assets/Ünïcode name.css', kind: 'file', content: 'body{}' },
  { path: 'assets/current.js', kind: 'link', target: 'app.js' },
  { path: 'bin/home', kind: 'link', target: '../index.html' },
  ...LONG.split('/').slice(0, -1).map((_, i, parts) => ({ path: parts.slice(0, i + 1).join('/'), kind: 'dir' as const })),
  { path: LONG, kind: 'file', content: 'far down' },
];

/** Builds the tree in the given order (parents always first) with the process's umask. */
function build(root: string, nodes: Node[]): void {
  for (const node of nodes) {
    const at = join(root, node.path);
    mkdirSync(join(at, '..'), { recursive: true });
    if (node.kind === 'dir') mkdirSync(at, { recursive: true });
    else if (node.kind === 'file') writeFileSync(at, node.content, { mode: node.executable ? 0o777 : 0o666 });
    else symlinkSync(node.target, at);
  }
}

/** The same tree built by another process: strict umask, reverse order, odd times. */
function buildElsewhere(root: string): void {
  const script = `
    import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
    import { join } from 'node:path';
    process.umask(0o077);
    const [root, json] = process.argv.slice(1);
    const nodes = JSON.parse(json).reverse();
    for (const node of nodes) {
      const at = join(root, node.path);
      mkdirSync(join(at, '..'), { recursive: true });
      if (node.kind === 'dir') mkdirSync(at, { recursive: true });
      else if (node.kind === 'file') writeFileSync(at, node.content, { mode: node.executable ? 0o777 : 0o666 });
      else symlinkSync(node.target, at);
    }
    for (const node of nodes) if (node.kind !== 'link') utimesSync(join(root, node.path), 1234567, 7654321);
  `;
  execFileSync(process.execPath, ['--input-type=module', '-e', script, root, JSON.stringify(TREE)]);
}

interface Listed {
  path: string;
  type: string;
  mode: number | undefined;
  size: number;
  linkpath: string | undefined;
  mtime: Date | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
}

/** The archive's entries as tar reads them back. */
function list(data: Buffer): Promise<Listed[]> {
  return new Promise((resolve, reject) => {
    const entries: Listed[] = [];
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      const { path, type, mode, size, linkpath, mtime, uid, gid, uname, gname } = entry;
      entries.push({ path, type, mode, size, linkpath, mtime, uid, gid, uname, gname });
      entry.resume();
    });
    parser.on('error', reject);
    parser.on('end', () => resolve(entries));
    parser.end(data);
  });
}

describe('packDirectory', () => {
  it('gives the same bytes every time, and says how many files it holds', async () => {
    const dir = freshDir();
    build(dir, TREE);
    const first = await packDirectory(dir);
    const second = await packDirectory(dir);
    expect(second.data.equals(first.data)).toBe(true);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(second.sha256).toBe(first.sha256);
    expect(first.files).toBe(TREE.filter((node) => node.kind !== 'dir').length);
  });

  it('gives the same bytes for the same tree made elsewhere: other umask, order, times and permission bits', async () => {
    const here = freshDir();
    build(here, TREE);
    const elsewhere = freshDir();
    buildElsewhere(elsewhere);
    // The trees really differ on disk in what must not matter.
    expect(statSync(join(elsewhere, 'index.html')).mode & 0o777).toBe(0o600);
    expect(statSync(join(here, 'index.html')).mode & 0o777).not.toBe(0o600);
    expect(statSync(join(elsewhere, 'index.html')).mtimeMs).not.toBe(statSync(join(here, 'index.html')).mtimeMs);
    const reference = await packDirectory(here);
    expect((await packDirectory(elsewhere)).sha256).toBe(reference.sha256);

    // Group and other bits, and the time of every entry, changed once more.
    for (const node of TREE) {
      if (node.kind === 'link') continue;
      const at = join(here, node.path);
      chmodSync(at, node.kind === 'dir' ? 0o700 : node.executable ? 0o711 : 0o664);
      utimesSync(at, new Date(), new Date(Date.now() - 86_400_000));
    }
    const touched = await packDirectory(here);
    expect(touched.data.equals(reference.data)).toBe(true);
  });

  it('writes sorted entries with fixed times and modes and no owners, in a gzip with no time or OS', async () => {
    const dir = freshDir();
    build(dir, TREE);
    const { data } = await packDirectory(dir);
    // gzip header: magic, deflate, no flags, mtime 0, then level-9 XFL and OS "unknown".
    expect([...data.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);

    const entries = await list(data);
    const paths = entries.map((entry) => entry.path);
    const expected = TREE.map((node) => (node.kind === 'dir' ? `${node.path}/` : node.path));
    expect([...paths].sort()).toEqual([...expected].sort());
    const bytewise = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a.replace(/\/$/, '')), Buffer.from(b.replace(/\/$/, ''))));
    expect(paths).toEqual(bytewise);
    expect(paths.indexOf('empty/')).toBeGreaterThan(-1);
    expect(paths.indexOf('assets/')).toBeLessThan(paths.indexOf('assets/app.js'));

    for (const entry of entries) {
      expect(entry.mtime?.getTime(), entry.path).toBe(PACKED_MTIME.getTime());
      expect([entry.uid, entry.gid], entry.path).toEqual([undefined, undefined]);
      expect([entry.uname || undefined, entry.gname || undefined], entry.path).toEqual([undefined, undefined]);
    }
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    expect(byPath.get('index.html')).toMatchObject({ type: 'File', mode: 0o644, size: 13 });
    expect(byPath.get('bin/start')).toMatchObject({ type: 'File', mode: 0o755 });
    expect(byPath.get('empty/')).toMatchObject({ type: 'Directory', mode: 0o755, size: 0 });
    expect(byPath.get('assets/current.js')).toMatchObject({ type: 'SymbolicLink', linkpath: 'app.js' });
    expect(byPath.get('bin/home')).toMatchObject({ type: 'SymbolicLink', linkpath: '../index.html' });
    // Long and non-ASCII names come back whole (from a pax header).
    expect(byPath.get(LONG)).toMatchObject({ type: 'File', size: 8 });
    expect(byPath.has('assets/Ünïcode name.css')).toBe(true);

    // A pax header carries the path alone: nothing that varies from machine to machine.
    const tar = gunzipSync(data).toString('latin1');
    expect(tar).toContain(' path=');
    expect(tar).not.toMatch(/ (mtime|atime|ctime|uid|gid|uname|gname|dev|ino)=/);
  });

  onlyIf(hasSystemTar, 'needs a tar command on PATH').it('makes an archive the system tar reads', async () => {
    const dir = freshDir();
    build(dir, TREE);
    const archive = join(freshDir(), 'site.tgz');
    writeFileSync(archive, (await packDirectory(dir)).data);
    const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing).toContain('bin/start');
    expect(listing).toContain(LONG);
  });

  it('packs hard-linked files as separate files, so shared inodes change nothing', async () => {
    const linked = freshDir();
    writeFileSync(join(linked, 'a.txt'), 'same');
    linkSync(join(linked, 'a.txt'), join(linked, 'b.txt'));
    const copied = freshDir();
    writeFileSync(join(copied, 'a.txt'), 'same');
    writeFileSync(join(copied, 'b.txt'), 'same');
    const packed = await packDirectory(linked);
    expect(packed.sha256).toBe((await packDirectory(copied)).sha256);
    expect((await list(packed.data)).map((entry) => entry.type)).toEqual(['File', 'File']);
  });

  it('refuses symbolic links leading out of the folder, naming them', async () => {
    const cases: [string, string, string][] = [
      ['escape', '../../outside', 'is a symbolic link to "../../outside", outside the folder'],
      ['absolute', '/etc/passwd', 'is a symbolic link to the absolute path "/etc/passwd"'],
    ];
    for (const [name, target, why] of cases) {
      const dir = freshDir();
      writeFileSync(join(dir, 'index.html'), 'x');
      symlinkSync(target, join(dir, name));
      await expect(packDirectory(dir)).rejects.toThrow(new ArchiveError('bad-folder', `Cannot pack ${dir}: "${name}" ${why}.`));
    }

    // Each link alone stays inside, but `sub/..` is the folder's parent once `sub` is `.`.
    const dir = freshDir();
    writeFileSync(join(dir, 'y'), 'x');
    symlinkSync('.', join(dir, 'sub'));
    symlinkSync('sub/../y', join(dir, 'sneaky'));
    await expect(packDirectory(dir)).rejects.toThrow(`Cannot pack ${dir}: "sneaky" is a symbolic link to "sub/../y", which climbs back out of the symbolic link "sub" with "..".`);
  });

  onPosix.it('refuses sockets, FIFOs and devices, naming them', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'index.html'), 'x');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const refusal = await packDirectory(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ArchiveError);
    expect((refusal as ArchiveError).message).toBe(`Cannot pack ${dir}: "pipe" is a named pipe (FIFO); only files, folders and symbolic links can go into an archive.`);
  });

  it('refuses a missing, empty or file-only path in one sentence', async () => {
    const missing = join(scratch, 'nope');
    await expect(packDirectory(missing)).rejects.toThrow(`Cannot pack ${missing}: the folder does not exist.`);
    const empty = freshDir();
    await expect(packDirectory(empty)).rejects.toThrow(`Cannot pack ${empty}: the folder is empty.`);
    mkdirSync(join(empty, 'nothing/here'), { recursive: true });
    await expect(packDirectory(empty)).rejects.toThrow(`Cannot pack ${empty}: it holds no files, only empty folders.`);
    const file = join(freshDir(), 'file.txt');
    writeFileSync(file, 'x');
    await expect(packDirectory(file)).rejects.toThrow(`Cannot pack ${file}: it is not a folder.`);
  });

  it('refuses a name the unpacker would refuse', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'back\\slash.txt'), 'x');
    await expect(packDirectory(dir)).rejects.toThrow(`Cannot pack ${dir}: "back\\slash.txt" has a backslash in its path, which Windows reads as a folder separator.`);
  });

  it('refuses a folder whose archive would pass the size limit, and leaves it as it was', async () => {
    const dir = freshDir();
    // Random bytes do not compress: 64 KiB of them cannot fit in 16 KiB.
    writeFileSync(join(dir, 'noise.bin'), randomBytes(65_536));
    await expect(packDirectory(dir, { maxBytes: 16_384 })).rejects.toThrow(
      new ArchiveError('too-large', `Cannot pack ${dir}: the archive would be larger than the 16 KiB a marketplace accepts for a build asset.`),
    );
    expect(readdirSync(dir)).toEqual(['noise.bin']);
  });
});
