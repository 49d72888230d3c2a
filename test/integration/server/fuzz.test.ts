/**
 * A fuzz test of every route the server registers (read from Fastify's own route table, so a
 * new route is fuzzed without touching this file), anonymous, as an ordinary user and as the
 * administrator, with seeded hostile input: NUL bytes, unpaired surrogates, bytes that are not
 * UTF-8, huge strings, deep nesting, wrong types, arrays where objects belong, prototype keys,
 * bad UUIDs, huge numbers and dates, odd query parameters, content types, methods and
 * invalid JSON. No answer may be a 5xx, every refusal is JSON with one sentence or the field
 * hash, and every answer carries the CORS headers (so a page can read the refusal).
 *
 * The generator is seeded (HSP_FUZZ_SEED replays another run): a failure names its case, the
 * seed and the request, so it can be replayed by hand.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../src/server/auth/tokens.js';
import type { ResourceDefinition } from '../../../src/server/resources/definition.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { rawRequest } from '../../helpers/raw-request.js';

const SEED = Number(process.env.HSP_FUZZ_SEED ?? 20_250_613);
/** Cases per route and caller; with about 180 routes and 3 callers, well over 1,500 requests. */
const CASES_PER_ROUTE_AND_CALLER = 3;
const CONCURRENCY = 4;

const m = useMarketplace();

// ---------------------------------------------------------------------------------------
// A seeded generator

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { int, pick, chance };
}
type Random = ReturnType<typeof generator>;

// ---------------------------------------------------------------------------------------
// Hostile values

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'lone \ud800 high',
  'lone \udfff low',
  'x'.repeat(256),
  '😀'.repeat(300),
  "'; DROP TABLE products; --",
  '%00',
  'line\r\nbreak',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '\u202eevil',
  '\\',
  '"',
  'true',
  '1',
  '-1',
  '1e309',
  'null',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  'not-a-uuid',
  '{"a":',
  `${'['.repeat(70)}${']'.repeat(70)}`,
  '{"a":"\\u0000"}',
  '{"__proto__":{"admin":true}}',
  '-271821-04-20T00:00:00Z',
  '275760-09-13T00:00:00Z',
  '0000-00-00',
  '2020-13-45T25:61:61',
  '9999-12-31T23:59:59.999Z',
];
const HOSTILE_NUMBERS = [0, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE, 8.64e15, -8.64e15];

function hostileValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 2 ? 4 : 8)) {
    case 0:
    case 1:
      return r.pick(HOSTILE_STRINGS);
    case 2:
      return r.pick(HOSTILE_NUMBERS);
    case 3:
      return r.pick([true, false, null]);
    case 4:
      // Rarely: a value far past every field's limit (well inside the 1 MiB body limit).
      return r.chance(0.15) ? r.pick(['x', 'é', '\u0000'])!.repeat(300_000) : r.pick(HOSTILE_STRINGS).repeat(50);
    case 5:
      return Array.from({ length: r.int(4) }, () => hostileValue(r, depth + 1));
    case 6:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(['a', '', 'name', 'constructor', '\ud83d', 'x'.repeat(300)]), hostileValue(r, depth + 1)]));
    default:
      return {};
  }
}

/** Something a field would accept, so that some requests get past validation and deeper. */
function plausibleValue(r: Random, type: string, ids: string[]): unknown {
  switch (type) {
    case 'uuid':
      return r.pick(ids);
    case 'integer':
      return r.pick([0, 1, 7]);
    case 'boolean':
      return r.pick([true, false, 'true', '0']);
    case 'timestamp':
      return r.pick([new Date().toISOString(), '2030-01-01T00:00:00']);
    case 'json':
      return r.pick([{}, { a: 1 }, '{"b":[1,2]}', []]);
    default:
      return `Fuzz ${r.int(1_000_000)}`;
  }
}

function nested(r: Random): string {
  const depth = r.pick([63, 64, 65, 1_000, 100_000]);
  return r.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const INVALID_JSON = ['{', '{"a":}', 'nul', '{"a":1}garbage', '{"a":1,}', "{'a':1}", '1'.repeat(100_000), '\ufeff{"a":1}', '"\\ud800"', '[1,2', '{"a":"\\x41"}'];

const PROTOTYPE_BODIES = (root: string) => [
  `{"__proto__":{"admin":true}}`,
  `{"${root}":{"__proto__":{"user_id":"x"},"name":"p"}}`,
  `{"${root}":{"constructor":{"prototype":{"polluted":true}}}}`,
  `{"constructor":{"prototype":{"polluted":true}}}`,
  `{"${root}":{"name":"p","permissions":{"__proto__":{"everything":{"manage":true}}}}}`,
];

const FORM_BODIES = (root: string) => [
  `${root}[name]=Fuzz+form&${root}[description]=y`,
  `${root}[__proto__][admin]=1`,
  `constructor[prototype][x]=1`,
  `${root}[name`,
  `${root}[name]=%FF%FE`,
  `${root}[name]=%ED%A0%80`,
  `${root}[name]=a%00b`,
  `${root}[name]=a&${root}[name][x]=b`,
  `${root}[list][]=a&${root}[list][]=b&${root}[list][x]=c`,
  `a${'[b]'.repeat(20)}=1`,
  Array.from({ length: 1_200 }, (_, i) => `f${i}=1`).join('&'),
  `=&&&==&${root}=`,
  `${root}[permissions][products][read]=1`,
  `${root}[name]=${'n'.repeat(5_000)}`,
];

// ---------------------------------------------------------------------------------------
// Requests

interface Shot {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function shoot(base: URL, shot: Shot): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...shot.headers, ...(shot.body ? { 'content-length': String(shot.body.length) } : {}) };
    const req = request({ host: base.hostname, port: base.port, method: shot.method, path: shot.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.end(shot.body);
  });
}

/** URL-encodes text, an unpaired surrogate included (encodeURIComponent refuses those). */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/\p{Cs}/gu, '')) + '%ED%A0%80';
  }
}

/** Why an answer breaks the rules, or `undefined` when it is fine. */
function judge(shot: Shot, answer: Answer): string | undefined {
  if (answer.status >= 500) return `a ${answer.status}`;
  // Every answer, refusals included, is readable by a page on another origin.
  if (answer.headers['access-control-allow-origin'] !== '*') return 'an answer without CORS headers';
  if (answer.status < 400 || shot.method === 'HEAD') return undefined;
  if (/\n\s+at |node_modules|\.ts:\d+/.test(answer.text)) return 'a stack trace in the answer';
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return 'a refusal that is not JSON';
  }
  const message = (body as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return /^\S[^\n]*\.$/.test(message) && message.length < 600 ? undefined : `a message that is not one sentence: ${JSON.stringify(message)}`;
  const fieldHash = !!body && typeof body === 'object' && !Array.isArray(body) && Object.values(body).every((v) => Array.isArray(v) && v.length && v.every((s) => typeof s === 'string'));
  return fieldHash && answer.status === 422 ? undefined : 'a refusal with neither a message nor the field hash';
}

// ---------------------------------------------------------------------------------------
// The routes, from Fastify's route table

interface Route {
  method: string;
  /** With every parameter as `:`, e.g. `/products/:/builds/:`. */
  path: string;
}

/** Reads `app.printRoutes()`: a tree of path segments, each with its methods. */
function registeredRoutes(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const level = match[1]!.length / 4;
    const path = `${stack[level - 1] ?? ''}${match[2]!}`.replace(/:[a-z_]+(\|:[a-z_]+)*/g, ':');
    stack[level] = path;
    stack.length = level + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') routes.push({ method, path });
    }
  }
  return routes;
}

const normalise = (path: string) => path.replace(/:[a-z_]+/g, ':');

// ---------------------------------------------------------------------------------------

describe('fuzz', () => {
  let user: TestUser;
  /** Fixture ids by resource name, so that parents exist and member routes reach a record. */
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    user = await m.user('Fuzz user');
    const create = async (name: string, path: string, body: Record<string, unknown>, token?: string) => {
      const sent = await rawRequest(m, 'POST', path, { json: body, token });
      expect(sent.status, `${name}: ${sent.text.slice(0, 300)}`).toBe(201);
      ids[name] = (sent.body as { id: string }).id;
    };
    const unique = () => randomUUID();
    ids.users = user.id;
    await create('products', '/products', { name: `Fuzz ${unique()}` });
    await create('child', '/products', { name: `Fuzz child ${unique()}` });
    expect((await rawRequest(m, 'POST', `/products/${ids.products}/publish`)).status).toBe(200);
    await create('licenses', '/licenses', { name: `Fuzz ${unique()}`, url: `https://example.com/${unique()}` });
    await create('product_licenses', `/products/${ids.products}/licenses`, { license_id: ids.licenses });
    await create('builds', `/products/${ids.products}/builds`, { version: '1.0.0' });
    await create('interfaces', '/interfaces', { name: `Fuzz ${unique()}`, uri: `urn:uuid:${unique()}`, version: '1' });
    await create('substitute', '/interfaces', { name: `Fuzz ${unique()}`, uri: `urn:uuid:${unique()}`, version: '1' });
    const build = `/products/${ids.products}/builds/${ids.builds}`;
    await create('dependencies', `${build}/dependencies`, { interface_id: ids.interfaces });
    await create('exposures', `${build}/exposures`, { interface_id: ids.interfaces });
    await create('parameters', `${build}/exposures/${ids.exposures}/parameters`, { name: 'P' });
    await create('configurations', `${build}/configurations`, { name: 'default' });
    await create('tasks', `${build}/configurations/${ids.configurations}/tasks`, { name: 'web' });
    await create('screenshots', `/products/${ids.products}/screenshots`, { caption: 'c' });
    await create('sub_products', '/sub_products', { parent_id: ids.products, child_id: ids.child });
    await create('badges', '/badges', { name: `Fuzz ${unique()}` });
    await create('surrogates', `/interfaces/${ids.interfaces}/surrogates`, { substitute_id: ids.substitute });
    await create('entitlements', '/entitlements', { user_id: user.id, product_license_id: ids.product_licenses });
    await create('claims', `/entitlements/${ids.entitlements}/claims`, { claimant_id: user.id, claimant_type: 'User' });
    await create('vouchers', '/vouchers', { product_license_id: ids.product_licenses, code: unique() });
    await create('attempts', '/attempts', { product_id: ids.products });
    await create('roles', '/roles', { name: `Fuzz ${unique()}` });
    await create('appointments', `/roles/${ids.roles}/appointments`, { entity_type: 'User', entity_id: user.id });
    await create('groups', '/groups', { name: `Fuzz ${unique()}` });
    await create('members', `/groups/${ids.groups}/members`, { user_id: user.id });
    await create('platforms', `/users/${user.id}/platforms`, { name: 'Fuzz platform' }, user.token);
    await create('instances', `/users/${user.id}/platforms/${ids.platforms}/instances`, { build_id: ids.builds }, user.token);
  });

  it(`finds no 5xx in ${CASES_PER_ROUTE_AND_CALLER} hostile requests per route and caller (seed ${SEED})`, async () => {
    const r = generator(SEED);
    const base = new URL(m.url);
    const definitions = m.server.context.resources.all();
    const byCollection = new Map<string, ResourceDefinition>(definitions.map((d) => [normalise(d.path), d]));
    const routes = registeredRoutes(m.server.app.printRoutes({ commonPrefix: false }));
    // The route table was read: every resource's five verbs are in it.
    for (const definition of definitions) {
      for (const method of ['GET', 'POST']) expect(routes, `${method} ${definition.path}`).toContainEqual({ method, path: normalise(definition.path) });
      for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) expect(routes).toContainEqual({ method, path: `${normalise(definition.path)}/:` });
    }
    expect(routes.length).toBeGreaterThan(definitions.length * 6);

    const callers = [
      { name: 'anonymous', token: undefined as string | undefined, userId: undefined as string | undefined },
      { name: 'user', token: user.token, userId: user.id },
      { name: 'admin', token: m.server.adminToken, userId: undefined },
    ];
    const allIds = Object.values(ids);

    /** A parameter: the fixture record of its collection mostly, else a hostile segment. */
    const segment = (collection: string, deleting: boolean): string => {
      const definition = byCollection.get(collection);
      const fixture = definition ? ids[definition.name] : undefined;
      // Deleting fixtures would leave later cases without parents: deletes aim elsewhere.
      if (fixture && !deleting && r.chance(0.75)) return fixture;
      if (!definition && r.chance(0.6)) return r.pick(['small', 'medium', 'large']);
      return r.pick([randomUUID(), 'not-a-uuid', '%00', fixture?.toUpperCase() ?? 'X', '..%2F..%2Fetc', 'x'.repeat(2_000), '%FF', '%E2%80%AE', '12345', encode(r.pick(HOSTILE_STRINGS)) || 'empty']);
    };

    const query = (definition: ResourceDefinition | undefined): string => {
      if (r.chance(0.45)) return '';
      const names = ['page', 'per_page', 'sort', 'order', 'text', 'name', 'published', 'role', 'mime_type', '__proto__', 'constructor', 'toString', 'name[]', 'name[$ne]', '__proto__[x]', ...Object.keys(definition?.fields ?? {})];
      const values = ['0', '-1', '1e3', '99999999999', '1', 'desc', 'sideways', '__proto__', 'name;DROP TABLE users', 'x'.repeat(4_000), 'true', 'maybe', randomUUID(), ''];
      // Already encoded: a NUL, bytes that are not UTF-8, an encoded surrogate, a lone `%`.
      const encoded = ['%00', '%FF', '%ED%A0%80', '%', '%zz', '%E2%80%AE'];
      const value = () => (r.chance(0.25) ? r.pick(encoded) : encode(r.chance(0.5) ? r.pick(values) : String(hostileValue(r, 3))));
      return `?${Array.from({ length: 1 + r.int(3) }, () => `${encode(r.pick(names))}=${value()}`).join('&')}`;
    };

    const body = async (definition: ResourceDefinition | undefined, writes: boolean): Promise<{ type?: string; bytes: Buffer } | undefined> => {
      if (!writes && r.chance(0.8)) return r.chance(0.3) ? { type: 'application/json', bytes: Buffer.alloc(0) } : undefined;
      const root = definition?.root ?? 'product';
      const record = () => {
        const fields = Object.entries(definition?.fields ?? { name: { type: 'text' }, text: { type: 'text' } });
        return Object.fromEntries(
          Array.from({ length: 1 + r.int(4) }, () => {
            const [name, field] = r.chance(0.85) ? r.pick(fields) : [r.pick(['id', 'extra', 'user_id', 'x'.repeat(300)]), { type: 'text' }];
            return [name, r.chance(0.3) ? plausibleValue(r, field.type, allIds) : hostileValue(r)];
          }),
        );
      };
      const json = (value: unknown) => ({ type: 'application/json', bytes: Buffer.from(JSON.stringify(value)) });
      const kind = r.int(100);
      if (kind < 45) return json({ [root]: record() });
      if (kind < 55) return json(record());
      if (kind < 63) return json(r.pick([[], 'text', 1, null, true, [{ [root]: {} }], { [root]: [] }, { [root]: 'x' }, { [root]: null }, {}]));
      if (kind < 68) return { type: 'application/json', bytes: Buffer.from(nested(r)) };
      if (kind < 73) return { type: 'application/json', bytes: Buffer.from(r.pick(INVALID_JSON)) };
      if (kind < 75) return { type: 'application/json', bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x28, 0x22, 0x7d]) };
      if (kind < 82) return { type: 'application/json', bytes: Buffer.from(r.pick(PROTOTYPE_BODIES(root))) };
      if (kind < 90) return { type: 'application/x-www-form-urlencoded', bytes: Buffer.from(r.pick(FORM_BODIES(root))) };
      if (kind < 95) {
        const form = new FormData();
        for (const [name, value] of Object.entries(record())) form.append(`${root}[${name}]`, typeof value === 'string' ? value : JSON.stringify(value) ?? '');
        if (r.chance(0.3)) form.append(r.pick([`${root}[__proto__]`, `${root}[logo]`, `${root}[x][]`, 'a[b']), new Blob([new Uint8Array(r.int(2048))]), r.pick(['f.png', 'nul\u0000.png', '..\\..\\x.png', 'x'.repeat(1_000)]));
        const encoded = new Response(form);
        return { type: encoded.headers.get('content-type')!, bytes: Buffer.from(await encoded.arrayBuffer()) };
      }
      const [type, text] = r.pick([
        ['text/plain', 'name=x'],
        ['application/xml', '<product/>'],
        ['', '{"product":{"name":"no type"}}'],
        ['application/json; charset=utf-16', '{"a":1}'],
        ['multipart/form-data', 'no boundary'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--y--'],
        [`multipart/form-data; boundary=${'b'.repeat(300)}`, `--${'b'.repeat(300)}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--${'b'.repeat(300)}--`],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="product[logo]"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG'],
        ['application/vnd.api+json', '{"data":{}}'],
        ['application/x-www-form-urlencoded; charset=iso-8859-1', 'product[name]=%E9'],
      ] as const);
      return { type: type || undefined, bytes: Buffer.from(text) };
    };

    // Every case is drawn before any is sent: the inputs depend on the seed alone.
    const shots: (Shot & { caller: string })[] = [];
    for (const route of routes) {
      const definition = byCollection.get(route.path) ?? byCollection.get(route.path.replace(/\/:$/, ''));
      for (const caller of callers) {
        for (let i = 0; i < CASES_PER_ROUTE_AND_CALLER; i++) {
          const method = r.chance(0.08) ? r.pick(['OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH', 'PURGE', 'LOCK', 'PATCH', 'DELETE']) : route.method;
          const parts = route.path.split('/');
          const path = parts.map((part, at) => (part === ':' ? segment(parts.slice(0, at).join('/'), method === 'DELETE') : part)).join('/') + query(definition);
          const writes = ['POST', 'PUT', 'PATCH'].includes(method);
          const sent = await body(definition, writes);
          const headers: Record<string, string> = { accept: r.pick(['application/json', 'application/json', 'application/json', 'application/json', '*/*', 'text/html']) };
          // Signing out revokes the token it is sent with: that case gets a token of its own.
          let token = caller.token;
          if (token && route.path === '/sessions' && method === 'DELETE') token = (await issueToken(m.server.db, m.server.context.secret, { userId: caller.userId ?? (await adminId()) })).token;
          if (token) headers.authorization = `Bearer ${token}`;
          if (r.chance(0.04)) headers.authorization = r.pick(['Bearer garbage', 'Basic YTpi', `Bearer ${'a'.repeat(5_000)}`, 'Bearer', token ?? 'x']);
          if (sent?.type) headers['content-type'] = sent.type;
          shots.push({ method, path, headers, body: sent?.bytes, caller: caller.name });
        }
      }
    }
    expect(shots.length).toBeGreaterThanOrEqual(1_500);

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < shots.length) {
        const index = next++;
        const shot = shots[index]!;
        let verdict: string | undefined;
        try {
          const answer = await shoot(base, shot);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          verdict = judge(shot, answer);
          if (verdict) verdict += `: ${answer.text.slice(0, 200)}`;
        } catch (error) {
          verdict = `no answer (${(error as Error).message})`;
        }
        if (verdict) {
          const preview = shot.body ? ` ${shot.headers['content-type'] ?? '(no type)'} ${JSON.stringify(shot.body.subarray(0, 160).toString('utf8'))}` : '';
          failures.push(`#${index} (seed ${SEED}) ${shot.caller} ${shot.method} ${shot.path.slice(0, 160)}${preview} → ${verdict}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures.slice(0, 25), `${failures.length} of ${shots.length} cases failed`).toEqual([]);
    // The inputs reached every kind of answer: accepted, refused, not found.
    const seen = [...statuses.keys()];
    for (const status of [200, 400, 401, 404, 422]) expect(seen).toContain(status);
    // And the server is still well.
    expect((await rawRequest(m, 'GET', '/status')).status).toBe(200);
  }, 120_000);

  async function adminId(): Promise<string> {
    const status = (await rawRequest(m, 'GET', '/status')).body as { identity: { user_id: string } };
    return status.identity.user_id;
  }
});
