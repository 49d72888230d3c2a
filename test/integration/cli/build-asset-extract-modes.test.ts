import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';
import { ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

/**
 * An asset packed by someone else, with setuid, setgid and sticky bits and foreign owners,
 * downloaded and extracted by whoever runs `hsp` (root here, where tar keeps the most).
 */

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
const dir = mkdtempSync(join(tmpdir(), 'hsp-cli-asset-modes-'));
const build = ['--product', 'Crafted App', '--build', '6.6.6'];

/** A .tgz whose headers ask for exactly these modes, owned by a user this machine may not have. */
function craftedArchive(entries: { path: string; type?: HeaderData['type']; mode: number; body?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    new Header({ path: entry.path, type: entry.type ?? 'File', mode: entry.mode, size: body.length, uid: 4242, gid: 4242, mtime: new Date(0) }).encode(header);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

beforeAll(async () => {
  const product = await m.admin.products.create({ name: 'Crafted App', mime_type: 'application/smart.v1' });
  await m.admin.builds.create(product.id, { version: '6.6.6' });
  const archive = join(dir, 'crafted.tgz');
  writeFileSync(
    archive,
    craftedArchive([
      { path: 'shared/', type: 'Directory', mode: 0o1777 },
      { path: 'shared/run-as-owner', mode: 0o6777, body: '#!/bin/sh\nid\n' },
      { path: 'escalate', mode: 0o4755, body: '#!/bin/sh\nid -u\n' },
      { path: 'index.html', mode: 0o644, body: '<h1>Crafted</h1>' },
    ]),
  );
  ok(await hsp(['builds', 'asset', 'upload', archive, ...build], { env: env() }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hsp builds asset download --extract and modes', () => {
  it('writes no setuid, setgid or sticky file or folder, none writable by others, none owned by the archive', async () => {
    const out = join(dir, 'out');
    const run = ok(await hsp(['builds', 'asset', 'download', ...build, '--extract', out], { env: env() }));
    expect(run.stderr).toBe(`✓ Extracted 3 files into ${out}\n`);
    const uid = process.getuid?.();
    const umask = process.umask();
    for (const [path, mode] of [
      ['shared', 0o755],
      ['shared/run-as-owner', 0o755],
      ['escalate', 0o755],
      ['index.html', 0o644],
    ] as const) {
      const info = statSync(join(out, path));
      expect({ path, mode: (info.mode & 0o7777).toString(8), uid: info.uid }).toEqual({ path, mode: (mode & ~umask).toString(8), uid });
    }
    expect(readFileSync(join(out, 'escalate'), 'utf8')).toBe('#!/bin/sh\nid -u\n');
  });
});
