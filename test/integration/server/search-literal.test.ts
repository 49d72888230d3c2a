/**
 * `POST /products/search` matches words literally and bounds its text: no user text becomes a
 * pattern (the 80 KB search that once held the whole server gets its 422 at once, and
 * `/status` answers while it is sent in a loop), and what would be a wildcard or a syntax error
 * in a regular expression or a LIKE pattern is only punctuation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const LONG_AGO = '2020-01-01T00:00:00Z';
const HOSTILE = 'é'.repeat(40_000);

/** A raw search, anonymous: the status and the parsed body. */
async function search(body: unknown, query = ''): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${m.url}/products/search${query}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Names found for `text`, in the order the server ranks them. */
async function names(text: string): Promise<string[]> {
  const found = await search({ text, per_page: 100 });
  expect(found.status, JSON.stringify(found.body)).toBe(200);
  return (found.body as { results: { name: string }[] }).results.map((p) => p.name);
}

beforeAll(async () => {
  const published = { published_at: LONG_AGO, visible_at: LONG_AGO };
  await m.admin.products.create({ name: 'Qlit Net (beta) [x] 100%', description: 'Reads C:\\data\\in paths.', ...published });
  await m.admin.products.create({ name: 'Qlit Network', description: 'Nothing special.', ...published });
  await m.admin.products.create({ name: 'Qlit Nxt', description: 'Other.', ...published });
});

describe('search matches words literally', () => {
  it('finds words that begin a word, best in the name first, as before', async () => {
    expect(await names('qlit net')).toEqual(['Qlit Net (beta) [x] 100%', 'Qlit Network']);
    expect(await names('QLIT BETA')).toEqual(['Qlit Net (beta) [x] 100%']);
    expect(await names('qlit paths')).toEqual(['Qlit Net (beta) [x] 100%']);
    expect(await names('qlit etwork')).toEqual([]);
  });

  it('reads regular-expression and LIKE metacharacters as punctuation, never as wildcards', async () => {
    const everyQlit = await names('qlit');
    expect(everyQlit).toHaveLength(3);
    // `.`, `_` and `%` would match the "e" of Network in a regular expression or a LIKE pattern.
    expect(await names('qlit n.twork')).toEqual([]);
    expect(await names('qlit n_twork')).toEqual([]);
    expect(await names('qlit n%ork')).toEqual([]);
    expect(await names('qlit [nx]et')).toEqual([]);
    expect(await names('qlit n.*')).toEqual(['Qlit Net (beta) [x] 100%', 'Qlit Network', 'Qlit Nxt']);
    // An unbalanced `(` or `[`, or a trailing `\`, would be a syntax error in a pattern.
    expect(await names('qlit (beta')).toEqual(['Qlit Net (beta) [x] 100%']);
    expect(await names('qlit [x')).toEqual(['Qlit Net (beta) [x] 100%']);
    expect(await names('qlit data\\')).toEqual(['Qlit Net (beta) [x] 100%']);
    expect(await names('qlit 100%')).toEqual(['Qlit Net (beta) [x] 100%']);
    // Only punctuation is no word at all: the same as searching for nothing but "qlit".
    expect(await names('qlit .* ( \\ [ % _ ) ]')).toEqual(everyQlit);
  });
});

describe('search text is bounded', () => {
  it('takes 200 characters, and refuses one more with a 422 naming the limit', async () => {
    expect((await search({ text: 'é'.repeat(200) })).status).toBe(200);
    // Counted in characters: 200 emoji are 400 UTF-16 units, and still allowed.
    expect((await search({ text: '😀'.repeat(200) })).status).toBe(200);
    expect(await search({ text: 'é'.repeat(201) })).toEqual({ status: 422, body: { text: ['is too long (at most 200 characters)'] } });
    expect(await search({}, `?text=${'a'.repeat(201)}`)).toEqual({ status: 422, body: { text: ['is too long (at most 200 characters)'] } });
  });

  it('takes 20 words, and refuses 21 with a 422 on the text', async () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    expect((await search({ text: words(20) })).status).toBe(200);
    expect(await search({ text: words(21) })).toEqual({ status: 422, body: { text: ['has too many words (at most 20)'] } });
  });

  it('refuses a text that is not a string with a 422', async () => {
    expect(await search({ text: ['qlit'] })).toEqual({ status: 422, body: { text: ['must be a string'] } });
    expect(await search({ text: { $regex: '.*' } })).toEqual({ status: 422, body: { text: ['must be a string'] } });
  });

  it('answers the 80 KB search with its 422, while /status answers four clients sending it in a loop', async () => {
    expect(await search({ text: HOSTILE })).toEqual({ status: 422, body: { text: ['is too long (at most 200 characters)'] } });

    let stop = false;
    const answers: number[] = [];
    const attackers = Array.from({ length: 4 }, async () => {
      while (!stop) answers.push((await search({ text: HOSTILE })).status);
    });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${m.url}/status`, { headers: { accept: 'application/json' } });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { message: string; database: { datetime: string | null } };
        // The database answered too: the hostile searches never reached it.
        expect(body.database.datetime).toEqual(expect.any(String));
      }
    } finally {
      stop = true;
      await Promise.all(attackers);
    }
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers)).toEqual(new Set([422]));
  });
});
