import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header, Pax, type HeaderData } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveError, type ArchiveProblem } from '../../../src/manifest/archive-error.js';
import { packDirectory } from '../../../src/manifest/pack.js';
import { unpackArchive } from '../../../src/manifest/unpack.js';
import { hasSystemTar } from '../../helpers/system-tar.js';
import { onlyIf } from '../../helpers/skips.js';

const scratch = mkdtempSync(join(tmpdir(), 'hsp-unpack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshDir = () => mkdtempSync(join(scratch, `${++folders}-`));

type EntryTypeName = NonNullable<HeaderData['type']>;

interface RawEntry {
  path: string;
  type?: EntryTypeName;
  linkpath?: string;
  body?: string;
}

/** A tar archive written header by header, with whatever paths and kinds a test needs. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const type = entry.type ?? 'File';
    const header = Buffer.alloc(512);
    const fields = { path: entry.path, type, mode: type === 'Directory' ? 0o755 : 0o644, size: body.length, linkpath: entry.linkpath, mtime: new Date(0) };
    if (new Header(fields).encode(header)) blocks.push(new Pax({ path: entry.path, linkpath: entry.linkpath }).encode());
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A folder to unpack into (`out`, absent) and a way to see that nothing else appeared beside it. */
function target(): { dir: string; out: string; untouched: () => void } {
  const dir = freshDir();
  writeFileSync(join(dir, 'neighbour.txt'), 'keep');
  const out = join(dir, 'out');
  return { dir, out, untouched: () => expect(readdirSync(dir)).toEqual(['neighbour.txt']) };
}

async function refusal(promise: Promise<unknown>): Promise<ArchiveError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  return error as ArchiveError;
}

function writeTree(root: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'assets/css'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<h1>App</h1>');
  writeFileSync(join(root, '.env.example'), 'PORT=8080');
  writeFileSync(join(root, 'bin/start'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(root, 'assets/css/site.css'), 'body{}');
  symlinkSync('css/site.css', join(root, 'assets/current.css'));
  symlinkSync('../index.html', join(root, 'bin/home'));
}

describe('unpackArchive', () => {
  it('recreates a packed folder exactly: contents, executables, empty folders and links', async () => {
    const source = freshDir();
    writeTree(source);
    const packed = await packDirectory(source);
    const { out, dir } = target();
    expect(await unpackArchive(packed.data, out)).toEqual({ files: packed.files });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('<h1>App</h1>');
    expect(readFileSync(join(out, '.env.example'), 'utf8')).toBe('PORT=8080');
    expect(readFileSync(join(out, 'assets/current.css'), 'utf8')).toBe('body{}');
    expect(readlinkSync(join(out, 'assets/current.css'))).toBe('css/site.css');
    expect(readlinkSync(join(out, 'bin/home'))).toBe('../index.html');
    expect(statSync(join(out, 'bin/start')).mode & 0o100).toBe(0o100);
    expect(readdirSync(join(out, 'empty'))).toEqual([]);
    // Nothing temporary left beside it, and packing the copy gives the same bytes.
    expect(readdirSync(dir).sort()).toEqual(['neighbour.txt', 'out']);
    expect((await packDirectory(out)).sha256).toBe(packed.sha256);
  });

  it('reads a plain .tar, and from a stream', async () => {
    const source = freshDir();
    writeTree(source);
    const packed = await packDirectory(source);
    const plain = target();
    await unpackArchive(gunzipSync(packed.data), plain.out);
    expect(readFileSync(join(plain.out, 'bin/start'), 'utf8')).toBe('#!/bin/sh\n');
    const streamed = target();
    const chunks = [packed.data.subarray(0, 100), packed.data.subarray(100)];
    expect(await unpackArchive(Readable.from(chunks), streamed.out)).toEqual({ files: packed.files });
    expect(readFileSync(join(streamed.out, 'assets/css/site.css'), 'utf8')).toBe('body{}');
  });

  onlyIf(hasSystemTar, 'needs a tar command on PATH').it('unpacks what the system tar made of a folder ("./" entries and all)', async () => {
    const source = freshDir();
    writeTree(source);
    const archive = join(freshDir(), 'made-by-tar.tgz');
    execFileSync('tar', ['-czf', archive, '-C', source, '.']);
    const { out } = target();
    await unpackArchive(readFileSync(archive), out);
    expect(readFileSync(join(out, 'assets/current.css'), 'utf8')).toBe('body{}');
    expect(readlinkSync(join(out, 'bin/home'))).toBe('../index.html');
    expect(statSync(join(out, 'bin/start')).mode & 0o100).toBe(0o100);
  });

  const malicious: [string, RawEntry[], string, ArchiveProblem?][] = [
    ['a parent path', [{ path: '../evil', body: 'x' }], 'The archive entry "../evil" has a ".." segment in its path.'],
    ['a parent path inside a path', [{ path: 'a/', type: 'Directory' }, { path: 'a/../../evil', body: 'x' }], 'The archive entry "a/../../evil" has a ".." segment in its path.'],
    ['an absolute path', [{ path: '/etc/evil', body: 'x' }], 'The archive entry "/etc/evil" has an absolute path.'],
    ['a Windows backslash path', [{ path: 'C:\\evil', body: 'x' }], 'The archive entry "C:\\evil" has a backslash in its path, which Windows reads as a folder separator.'],
    ['a Windows drive path', [{ path: 'C:/evil', body: 'x' }], 'The archive entry "C:/evil" starts with a Windows drive letter.'],
    [
      'a symbolic link out, then a file through it',
      [
        { path: 'link', type: 'SymbolicLink', linkpath: '../../outside' },
        { path: 'link/x', body: 'x' },
      ],
      'The archive entry "link" is a symbolic link to "../../outside", outside the folder.',
    ],
    [
      'a file written through a symbolic link that stays inside',
      [
        { path: 'sub/', type: 'Directory' },
        { path: 'link', type: 'SymbolicLink', linkpath: 'sub' },
        { path: 'link/x', body: 'x' },
      ],
      'The archive entry "link/x" passes through the symbolic link "link".',
    ],
    [
      'a file under a symbolic link that comes later',
      [
        { path: 'dir/x', body: 'x' },
        { path: 'dir', type: 'SymbolicLink', linkpath: '.' },
      ],
      'The archive entry "dir/x" passes through the symbolic link "dir".',
    ],
    [
      'a symbolic link that differs from a folder in case only',
      [
        { path: 'Link', type: 'SymbolicLink', linkpath: 'sub' },
        { path: 'link/x', body: 'x' },
      ],
      'The archive entry "link/x" passes through the symbolic link "Link".',
    ],
    [
      'a symbolic link climbing out of another',
      [
        { path: 'sub', type: 'SymbolicLink', linkpath: '.' },
        { path: 'sneaky', type: 'SymbolicLink', linkpath: 'sub/../outside' },
      ],
      'The archive entry "sneaky" is a symbolic link to "sub/../outside", which climbs back out of the symbolic link "sub" with "..".',
    ],
    ['a symbolic link to an absolute path', [{ path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }], 'The archive entry "passwd" is a symbolic link to the absolute path "/etc/passwd".'],
    ['a hard link to /etc/passwd', [{ path: 'passwd', type: 'Link', linkpath: '/etc/passwd' }], 'The archive entry "passwd" is a hard link to "/etc/passwd", outside the folder.'],
    ['a hard link climbing out', [{ path: 'x', type: 'Link', linkpath: '../x' }], 'The archive entry "x" is a hard link to "../x", outside the folder.'],
    ['a hard link to nothing before it', [{ path: 'x', type: 'Link', linkpath: 'later' }, { path: 'later', body: 'x' }], 'The archive entry "x" is a hard link to "later", which is not a file earlier in the archive.'],
    ['a character device', [{ path: 'null', type: 'CharacterDevice' }], 'The archive entry "null" is a character device; only files, folders and links are unpacked.'],
    ['a block device', [{ path: 'sda', type: 'BlockDevice' }], 'The archive entry "sda" is a block device; only files, folders and links are unpacked.'],
    ['a FIFO', [{ path: 'pipe', type: 'FIFO' }], 'The archive entry "pipe" is a named pipe (FIFO); only files, folders and links are unpacked.'],
    ['the same path twice', [{ path: 'a.txt', body: '1' }, { path: './a.txt', body: '2' }], 'The archive entry "./a.txt" appears twice.'],
    ['a name with a terminal escape', [{ path: '\u001b[2Jx/../y', body: 'x' }], 'The archive entry "\\u001b[2Jx/../y" has a ".." segment in its path.'],
  ];

  for (const [what, entries, sentence, reason = 'unsafe-entry'] of malicious) {
    it(`refuses ${what}, naming the entry and writing nothing`, async () => {
      for (const data of [rawTar(entries), gzipSync(rawTar(entries))]) {
        const { out, untouched } = target();
        const error = await refusal(unpackArchive(data, out));
        expect(error.message).toBe(sentence);
        expect(error.reason).toBe(reason);
        expect(existsSync(out)).toBe(false);
        untouched();
      }
    });
  }

  it('refuses an archive past the entry or size limit', async () => {
    const many = rawTar(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, body: 'x' })));
    const tooMany = target();
    const countError = await refusal(unpackArchive(gzipSync(many), tooMany.out, { maxEntries: 3 }));
    expect(countError).toMatchObject({ reason: 'too-large', message: 'The archive entry "f3" is one more than the 3 entries an archive may hold.' });
    tooMany.untouched();

    const big = rawTar([
      { path: 'small', body: 'x'.repeat(600) },
      { path: 'zeros.bin', body: '\0'.repeat(4096) },
    ]);
    const tooBig = target();
    const sizeError = await refusal(unpackArchive(gzipSync(big), tooBig.out, { maxBytes: 1000 }));
    expect(sizeError).toMatchObject({ reason: 'too-large', message: 'The archive entry "zeros.bin" takes the archive past the 1000 bytes it may unpack to.' });
    tooBig.untouched();

    // A stream is not read past the limit: it is refused as it arrives.
    const streamed = target();
    const streamError = await refusal(unpackArchive(Readable.from([big, big]), streamed.out, { maxBytes: 1000, maxEntries: 2 }));
    expect(streamError).toMatchObject({ reason: 'too-large', message: 'The archive is larger than 5 KiB; refusing to unpack it.' });
    streamed.untouched();
  });

  it('says in one sentence when the data is no archive, or a damaged one', async () => {
    for (const data of [Buffer.from('the packaged app'), gzipSync('just some text, gzipped'.repeat(40)), Buffer.alloc(0)]) {
      const { out, untouched } = target();
      const error = await refusal(unpackArchive(data, out));
      expect(error).toMatchObject({ reason: 'not-an-archive', message: 'The data is not a tar archive (plain or gzip-compressed).' });
      untouched();
    }

    const source = freshDir();
    writeTree(source);
    writeFileSync(join(source, 'zz-last.bin'), 'z'.repeat(20_000));
    const tar = gunzipSync((await packDirectory(source)).data);
    const { out, untouched } = target();
    const error = await refusal(unpackArchive(tar.subarray(0, tar.length - 4096), out));
    expect(error.reason).toBe('damaged');
    expect(error.message).toMatch(/^The archive is damaged after the entry "zz-last\.bin": .+\.$/);
    untouched();
  });

  it('cleans up when writing fails half-way', async () => {
    // Deeper than tar will go: every entry passes the checks, the second pass gives up.
    const deep = `${'d/'.repeat(1100)}file`;
    const { out, untouched } = target();
    const error = await refusal(unpackArchive(rawTar([{ path: 'ok.txt', body: 'x' }, { path: deep, body: 'x' }]), out));
    expect(error).toMatchObject({ reason: 'file-system', message: `Could not unpack into ${out}: path excessively deep.` });
    untouched();
  });

  it('refuses a folder that is not empty unless forced, then replaces its contents', async () => {
    const archive = await packDirectory((() => {
      const source = freshDir();
      writeTree(source);
      return source;
    })());
    const { dir, out } = target();
    mkdirSync(out);
    writeFileSync(join(out, 'old.txt'), 'old');
    const error = await refusal(unpackArchive(archive.data, out));
    expect(error).toMatchObject({ reason: 'target-exists', message: `The folder ${out} is not empty; pass --force to replace its contents.` });
    expect(readdirSync(out)).toEqual(['old.txt']);

    await unpackArchive(archive.data, out, { force: true });
    expect(existsSync(join(out, 'old.txt'))).toBe(false);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('<h1>App</h1>');
    expect(readdirSync(dir).sort()).toEqual(['neighbour.txt', 'out']);

    const empty = join(dir, 'empty-target');
    mkdirSync(empty);
    await unpackArchive(archive.data, empty);
    expect(existsSync(join(empty, 'bin/start'))).toBe(true);

    const file = join(dir, 'neighbour.txt');
    const notFolder = await refusal(unpackArchive(archive.data, file, { force: true }));
    expect(notFolder).toMatchObject({ reason: 'target-exists', message: `${file} exists and is not a folder.` });
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });

  onlyIf(process.platform !== 'win32' && process.getuid?.() !== 0, 'needs a user that file modes bind: not root, not Windows').it('leaves the old contents in place when the new ones cannot be written', async () => {
    const source = freshDir();
    writeFileSync(join(source, 'new.txt'), 'new');
    const archive = await packDirectory(source);
    const { dir, out } = target();
    mkdirSync(out);
    writeFileSync(join(out, 'old.txt'), 'old');
    chmodSync(dir, 0o555);
    try {
      const error = await refusal(unpackArchive(archive.data, out, { force: true }));
      expect(error).toMatchObject({ reason: 'file-system', message: `Could not unpack into ${out}: permission denied.` });
    } finally {
      chmodSync(dir, 0o755);
    }
    expect(readdirSync(out)).toEqual(['old.txt']);
  });
});
