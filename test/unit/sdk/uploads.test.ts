import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileFromPath, InvalidArgumentError } from '../../../src/index.js';
import { filenameFrom, multipart } from '../../../src/sdk/uploads.js';

const dir = mkdtempSync(join(tmpdir(), 'hsp-uploads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileFromPath', () => {
  it('reads a file lazily with a type from its extension', async () => {
    const path = join(dir, 'logo.png');
    writeFileSync(path, Buffer.from([1, 2, 3]));
    const file = await fileFromPath(path);
    expect(file.name).toBe('logo.png');
    expect(file.type).toBe('image/png');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('names a missing file in one sentence', async () => {
    const path = join(dir, 'nope.tgz');
    await expect(fileFromPath(path)).rejects.toThrow(new InvalidArgumentError('path', `Cannot upload ${path}: it does not exist.`));
  });
});

describe('multipart', () => {
  it('nests fields and files under the root key', () => {
    const form = multipart('build', { version: '1.0.0', skipped: undefined }, { asset: { data: new Uint8Array([9]), filename: 'content.tgz' } });
    expect(form.get('build[version]')).toBe('1.0.0');
    expect(form.has('build[skipped]')).toBe(false);
    const asset = form.get('build[asset]') as File;
    expect(asset.name).toBe('content.tgz');
    expect(asset.type).toBe('application/gzip');
  });
});

describe('filenameFrom', () => {
  it.each([
    ['attachment; filename="content.tgz"', 'content.tgz'],
    ['attachment; filename=content.tgz', 'content.tgz'],
    ["attachment; filename*=UTF-8''na%C3%AFve%20file.txt", 'naïve file.txt'],
    ['inline; placeholder_logo.png', 'placeholder_logo.png'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename=".."', undefined],
    ['inline', undefined],
  ])('%s → %s', (header, name) => {
    expect(filenameFrom(header)).toBe(name);
  });
});
