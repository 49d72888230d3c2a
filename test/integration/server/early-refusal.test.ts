/**
 * Multipart bodies are judged before they are read: a caller who may not make the write is
 * refused from the URL and the token alone, and a body past a limit is refused while it
 * streams. A real HTTP client streams bodies of hundreds of megabytes and counts what it had
 * sent when the answer came: far less than the body, and the server closes the connection
 * rather than receive the rest.
 */
import { randomUUID } from 'node:crypto';
import { request, type ClientRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../../src/index.js';
import { useMarketplace, type TestMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 0x61);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
/**
 * What a client may have handed to the network before a refusal reaches it: socket buffers on
 * both sides of a loopback connection plus the server's read-ahead. An order of magnitude below
 * the bodies sent, which were read in full before this was built.
 */
const BUFFERED = 24 * MiB;

interface Part {
  name: string;
  /** A file part when set; a form field otherwise. */
  filename?: string;
  /** A file of this many bytes, streamed in chunks (its first bytes a PNG signature). */
  size?: number;
  value?: string;
}

interface Answer {
  status: number;
  message: string;
  /** Body bytes written when the answer arrived. */
  sentWhenAnswered: number;
  total: number;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/**
 * Streams a multipart body, chunk by chunk and only as fast as the connection takes it, and
 * stops writing once an answer arrives. Without `declareLength` the body is chunked, so the
 * server cannot judge it by its Content-Length.
 */
async function stream(server: TestMarketplace, method: string, path: string, parts: Part[], options: { token?: string | null; declareLength?: boolean } = {}): Promise<Answer> {
  const boundary = `hsp-test-${randomUUID()}`;
  const pieces = parts.map((part) => ({
    head: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}\r\n` +
        `${part.filename ? 'Content-Type: image/png\r\n' : ''}\r\n`,
    ),
    part,
  }));
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const sizeOf = (part: Part) => (part.filename ? part.size! : Buffer.byteLength(part.value ?? ''));
  const total = pieces.reduce((sum, { head, part }) => sum + head.length + sizeOf(part) + 2, tail.length);

  function* body(): Generator<Buffer> {
    for (const { head, part } of pieces) {
      yield head;
      if (!part.filename) yield Buffer.from(part.value ?? '');
      else {
        const size = part.size!;
        yield PNG.subarray(0, Math.min(PNG.length, size));
        for (let left = size - PNG.length; left > 0; left -= CHUNK.length) yield left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      }
      yield Buffer.from('\r\n');
    }
    yield tail;
  }

  const token = options.token === undefined ? server.server.adminToken : options.token;
  const headers: Record<string, string | number> = { accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.declareLength) headers['content-length'] = total;
  let sent = 0;
  let answered: { status: number; text: string; sentWhenAnswered: number } | undefined;
  let closed = false;
  const req: ClientRequest = request(`${server.url}${path}`, { method, headers, agent: false });
  const done = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      const sentWhenAnswered = sent;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        answered = { status: res.statusCode ?? 0, text, sentWhenAnswered };
        resolve();
      });
    });
    // Writing into a connection the server has closed fails once it has answered: expected.
    req.on('error', (error) => (answered ? resolve() : reject(error)));
  });
  req.on('socket', (socket) => socket.on('close', () => (closed = true)));
  const responded = done.then(() => 'answered' as const);

  req.flushHeaders();
  for (const chunk of body()) {
    if (answered || req.destroyed) break;
    sent += chunk.length;
    if (!req.write(chunk)) {
      const drained = new Promise<'drained'>((resolve) => req.once('drain', () => resolve('drained')));
      if ((await Promise.race([drained, responded])) === 'answered') break;
    }
  }
  if (!answered && !req.destroyed) req.end();
  await done;
  // Once it has answered, the server ends the connection instead of receiving the rest.
  for (let i = 0; i < 100 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!closed) req.destroy();
  const { status, text, sentWhenAnswered } = answered!;
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // Not JSON: the text is the message.
  }
  return { status, message, sentWhenAnswered, total, closed };
}

/** Refused early: a 4xx sentence, long before the body was sent, and the connection closed. */
function expectEarlyRefusal(answer: Answer, status: number, pattern: RegExp): void {
  expect(answer.status, answer.message).toBe(status);
  expect(answer.message).toMatch(/^[A-Z"].*[.]$/);
  expect(answer.message).toMatch(pattern);
  expect(answer.sentWhenAnswered).toBeLessThan(BUFFERED);
  expect(answer.sentWhenAnswered).toBeLessThan(answer.total / 4);
  expect(answer.closed).toBe(true);
}

/** Five files of 49 MB: what was read in full, and held, before the 403 of old. */
const FIVE_BIG = (name: string): Part[] => Array.from({ length: 5 }, (_, i) => ({ name, filename: `big-${i}.png`, size: 49_000_000 }));

let owner: TestUser;
let stranger: TestUser;
let product: Product;

beforeAll(async () => {
  owner = await m.user('Uma Uploader');
  stranger = await m.user('Sid Stranger');
  // Published, so a stranger may read it (the parent check passes) but not change it.
  product = await m.admin.products.create({
    name: `Upload target ${randomUUID()}`,
    user_id: owner.id,
    published_at: '2020-01-01T00:00:00Z',
    visible_at: '2020-01-01T00:00:00Z',
  } as never);
});

describe('a caller who may not write is refused before the body is read', () => {
  it.each([
    ['POST', '/products/:id/screenshots', 'screenshot[image]', /not allowed to create this screenshot/],
    ['POST', '/products/:id/builds', 'build[asset]', /not allowed to create this build/],
    ['PATCH', '/products/:id', 'product[logo]', /not allowed to update this product/],
    ['POST', '/products', 'product[logo]', /not allowed to create this product/],
  ])('%s %s with 245 MB of files (%s): 403 at once', async (method, path, field, message) => {
    const parts = [{ name: field.replace(/\[.*/, '[caption]'), value: 'x' }, ...FIVE_BIG(field)];
    const answer = await stream(m, method, path.replace(':id', product.id), parts, { token: stranger.token });
    expectEarlyRefusal(answer, 403, message);
  });

  it('the parent must be readable first: an unpublished product of someone else is refused as well', async () => {
    const hidden = await m.admin.products.create({ name: `Hidden ${randomUUID()}`, user_id: owner.id } as never);
    const answer = await stream(m, 'POST', `/products/${hidden.id}/screenshots`, FIVE_BIG('screenshot[image]'), { token: stranger.token });
    expectEarlyRefusal(answer, 403, /not allowed to read this product/);
  });

  it('anonymous uploads are refused the same way, with 401', async () => {
    const answer = await stream(m, 'POST', `/products/${product.id}/screenshots`, FIVE_BIG('screenshot[image]'), { token: null });
    expectEarlyRefusal(answer, 401, /sign in to upload files/);
  });
});

describe('those who may write still upload', () => {
  it("the product's owner adds a screenshot with its image and replaces the logo", async () => {
    const created = await stream(m, 'POST', `/products/${product.id}/screenshots`, [
      { name: 'screenshot[caption]', value: 'Home' },
      { name: 'screenshot[image]', filename: 'home.png', size: 200_000 },
    ], { token: owner.token });
    expect(created.status, created.message).toBe(201);
    const logo = await stream(m, 'PATCH', `/products/${product.id}`, [{ name: 'product[logo]', filename: 'logo.png', size: 50_000 }], { token: owner.token, declareLength: true });
    expect(logo.status, logo.message).toBe(200);
    const stored = await owner.client.products.logo(product.id);
    expect(stored.contentType).toBe('image/png');
    expect((await stored.bytes()).length).toBe(50_000);
  });

  it('a role granting the resource lets its holder upload to products they do not own', async () => {
    await m.admin.roles.create({ name: 'Screenshot curator', permissions: { screenshots: { create: true } } });
    const curator = await m.user('Cora Curator', ['Screenshot curator']);
    const created = await stream(m, 'POST', `/products/${product.id}/screenshots`, [
      { name: 'screenshot[caption]', value: 'Curated' },
      { name: 'screenshot[image]', filename: 'curated.png', size: 10_000 },
    ], { token: curator.token });
    expect(created.status, created.message).toBe(201);
  });
});

describe('limits hold while the body streams', () => {
  const small = useMarketplace({ config: { uploadLimit: MiB } });
  let target: Product;
  beforeAll(async () => {
    target = await small.admin.products.create({ name: `Small limits ${randomUUID()}` });
  });

  it('a file past the limit is refused as soon as it passes it, and nothing is stored', async () => {
    const answer = await stream(small, 'PATCH', `/products/${target.id}`, [{ name: 'product[logo]', filename: 'huge.png', size: 200 * MiB }]);
    expectEarlyRefusal(answer, 413, /^The file "huge\.png" is larger than this marketplace accepts \(1 MiB\)\.$/);
    await expect(small.admin.products.logo(target.id)).rejects.toMatchObject({ status: 404 });
  });

  it('a declared Content-Length past the limits is refused before any of the body is read', async () => {
    const answer = await stream(small, 'PATCH', `/products/${target.id}`, [{ name: 'product[logo]', filename: 'huge.png', size: 200 * MiB }], { declareLength: true });
    expectEarlyRefusal(answer, 413, /^The request body is larger than this marketplace accepts \(2\.1 MiB\)\.$/);
  });

  it('each attachment takes one file, under either of its names: a second is refused before it is read', async () => {
    const twice = [{ name: 'product[logo]', filename: 'first.png', size: 700 * 1024 }, { name: 'logo', filename: 'second.png', size: 100 * MiB }];
    const answer = await stream(small, 'PATCH', `/products/${target.id}`, twice);
    expectEarlyRefusal(answer, 400, /^The form field "logo" carries a second logo file; send one\.$/);
  });

  it('a file the route does not take is refused from its headers, before its bytes', async () => {
    const stray = await stream(small, 'PATCH', `/products/${target.id}`, [{ name: 'product[banner]', filename: 'banner.png', size: 100 * MiB }]);
    expectEarlyRefusal(stray, 400, /^The form field "product\[banner\]" is a file, but this request takes files only as product\[logo\]\.$/);
    const none = await stream(small, 'POST', '/licenses', [{ name: 'license[text]', filename: 'terms.png', size: 100 * MiB }]);
    expectEarlyRefusal(none, 400, /^The form field "license\[text\]" is a file, but this request takes no files\.$/);
  });

  it('form fields count together against the body limit, and their number is bounded', async () => {
    const fields = [0, 1, 2].map((i) => ({ name: `product[note_${i}]`, value: 'x'.repeat(400 * 1024) }));
    const long = await stream(small, 'POST', '/products', fields);
    expect(long.status, long.message).toBe(413);
    expect(long.message).toBe('The form fields are larger together than this marketplace accepts (1 MiB).');
    const many = await stream(small, 'POST', '/products', Array.from({ length: 201 }, (_, i) => ({ name: `product[f${i}]`, value: 'x' })));
    expect(many.status, many.message).toBe(413);
    expect(many.message).toBe('A form may have at most 200 fields.');
  });

  it('within the limit, the same upload is stored', async () => {
    const answer = await stream(small, 'PATCH', `/products/${target.id}`, [{ name: 'product[logo]', filename: 'fits.png', size: MiB }]);
    expect(answer.status, answer.message).toBe(200);
    expect((await (await small.admin.products.logo(target.id)).bytes()).length).toBe(MiB);
  });
});
