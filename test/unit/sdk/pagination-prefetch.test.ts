/**
 * `for await` over a list asks for the next page as soon as the current one arrives, so the
 * caller's work on one page overlaps the server's on the next, and never runs further ahead
 * than that one page. Against a real HTTP server on loopback that logs every request and can
 * hold or fail a page: the request for page 2 starts before the caller asks for its first
 * item; a `break` aborts the page in flight and asks for nothing more; a page that failed
 * while the caller was still on the previous one fails when the caller reaches it, after every
 * earlier item, and never as an unhandled rejection; pages already read can be collected.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, APIError, Marketplace } from '../../../src/index.js';

const PER_PAGE = 3;

interface Served {
  /** Page numbers in the order their requests arrived. */
  requested: number[];
  /** Pages whose request was given up by the client before the answer was sent. */
  aborted: number[];
}

/** What the server does with a page: answer (default), answer 404, or hold it until the client gives up. */
type Behaviour = 'answer' | 'fail' | 'hold';

let server: Server;
let baseUrl: string;
let served: Served;
let behaviour: (page: number) => Behaviour;
let totalPages: number;
const held = new Set<ServerResponse>();

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const page = Number(url.searchParams.get('page') ?? 1);
  served.requested.push(page);
  const what = behaviour(page);
  if (what === 'hold') {
    held.add(res);
    res.on('close', () => {
      if (!res.writableEnded) served.aborted.push(page);
      held.delete(res);
    });
    return;
  }
  if (what === 'fail') {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `page ${page} is gone` }));
    return;
  }
  const first = (page - 1) * PER_PAGE;
  const body = {
    total_pages: totalPages,
    total_entries: totalPages * PER_PAGE,
    previous_page: page > 1 ? page - 1 : null,
    next_page: page < totalPages ? page + 1 : null,
    current_page: page,
    results: Array.from({ length: PER_PAGE }, (_, i) => ({ id: `p${first + i}`, name: `Product ${first + i}`, padding: 'x'.repeat(200) })),
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  for (const res of held) res.destroy();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function reset(pages: number, how: (page: number) => Behaviour = () => 'answer'): void {
  served = { requested: [], aborted: [] };
  behaviour = how;
  totalPages = pages;
  unhandled.length = 0;
}

const client = () => new Marketplace({ baseUrl, dialect: 'r2', maxRetries: 0 });
const pageOf = (id: string) => Math.floor(Number(id.slice(1)) / PER_PAGE) + 1;

/** Waits until `check` holds (the server sees requests on its own schedule), failing after a second. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !check(); ) {
    if (Date.now() - started > 1_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('for await over a list prefetches one page', () => {
  it('requests page 2 before the caller asks for its first item, and page 3 only once page 2 is in hand', async () => {
    reset(4);
    const items = client().products.list({ perPage: PER_PAGE })[Symbol.asyncIterator]();
    expect((await items.next()).value).toMatchObject({ id: 'p0' });
    // The caller is still on page 1's first item and asks for nothing: page 2 is requested anyway.
    await until(() => served.requested.includes(2), 'the request for page 2');
    await settle();
    // Bounded: not page 3, whose turn comes when page 2 arrives for the caller.
    expect(served.requested).toEqual([1, 2]);
    for (let i = 1; i <= PER_PAGE; i++) await items.next();
    await until(() => served.requested.includes(3), 'the request for page 3');
    await settle();
    expect(served.requested).toEqual([1, 2, 3]);
    await items.return?.();
  });

  it('yields every item in order, each page requested once, never more than one page ahead', async () => {
    reset(5);
    const seen: string[] = [];
    for await (const product of client().products.list({ perPage: PER_PAGE })) {
      seen.push(product.id);
      expect(Math.max(...served.requested)).toBeLessThanOrEqual(pageOf(product.id) + 1);
    }
    expect(seen).toEqual(Array.from({ length: 5 * PER_PAGE }, (_, i) => `p${i}`));
    expect(served.requested).toEqual([1, 2, 3, 4, 5]);
  });

  it('a break aborts the page in flight and asks for no other', async () => {
    reset(10, (page) => (page === 2 ? 'hold' : 'answer'));
    for await (const product of client().products.list({ perPage: PER_PAGE })) {
      expect(product.id).toBe('p0');
      await until(() => served.requested.includes(2), 'the request for page 2');
      break;
    }
    await until(() => served.aborted.includes(2), 'the client to give up page 2');
    await settle();
    expect(served.requested).toEqual([1, 2]);
    expect(unhandled).toEqual([]);
  });

  it('toArray with a limit the first page covers asks for no second page', async () => {
    reset(10);
    expect((await client().products.list({ perPage: PER_PAGE }).toArray({ limit: PER_PAGE })).map((p) => p.id)).toEqual(['p0', 'p1', 'p2']);
    await settle();
    expect(served.requested).toEqual([1]);
  });

  it('a page that failed ahead of the caller fails when the caller reaches it, after every earlier item', async () => {
    reset(4, (page) => (page === 2 ? 'fail' : 'answer'));
    const seen: string[] = [];
    const walk = (async () => {
      for await (const product of client().products.list({ perPage: PER_PAGE })) {
        seen.push(product.id);
        // Slow on page 1: page 2's failure arrives while the caller is still here.
        if (product.id === 'p0') await until(() => served.requested.includes(2), 'the request for page 2').then(settle);
      }
    })();
    const error = await walk.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(404);
    expect(seen).toEqual(['p0', 'p1', 'p2']);
    expect(served.requested).toEqual([1, 2]);
    expect(unhandled).toEqual([]);
  });

  it("the caller's signal aborts the page in flight; the items in hand still come, then the abort", async () => {
    reset(10, (page) => (page === 2 ? 'hold' : 'answer'));
    const controller = new AbortController();
    const seen: string[] = [];
    const walk = (async () => {
      for await (const product of client().products.list({ perPage: PER_PAGE }, { signal: controller.signal })) {
        seen.push(product.id);
        if (product.id === 'p0') {
          await until(() => served.requested.includes(2), 'the request for page 2');
          controller.abort();
          await until(() => served.aborted.includes(2), 'the client to give up page 2');
        }
      }
    })();
    const error = await walk.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(seen).toEqual(['p0', 'p1', 'p2']);
    expect(served.requested).toEqual([1, 2]);
    expect(unhandled).toEqual([]);
  });

  it('lets the pages the caller has finished be collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    reset(40);
    const firstOfPage: WeakRef<object>[] = [];
    let alive = -1;
    for await (const product of client().products.list({ perPage: PER_PAGE })) {
      if (Number(product.id.slice(1)) % PER_PAGE === 0) firstOfPage.push(new WeakRef(product));
      if (product.id === `p${30 * PER_PAGE}`) {
        // A new task, so the WeakRefs no longer keep their targets alive, then a full collection.
        await new Promise((resolve) => setTimeout(resolve, 0));
        gc();
        alive = firstOfPage.filter((ref) => ref.deref() !== undefined).length;
      }
    }
    // Of the first items of pages 1 to 31, only page 31's (in hand) may be alive.
    expect(firstOfPage.length).toBe(40);
    expect(alive).toBe(1);
  });
});
