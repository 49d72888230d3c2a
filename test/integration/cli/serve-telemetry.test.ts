/**
 * `hsp serve` with OTEL_EXPORTER_OTLP_ENDPOINT set, as operators run it (the built bin/hsp in a
 * child process) against a fake OTLP collector: a server span and a duration per request, named
 * by the route's pattern and never by the URL (no record ids, no tokens, no query strings), the
 * caller's W3C trace continued, and everything still buffered sent when SIGTERM stops it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../../src/version.js';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { startFakeCollector, type FakeCollector, type ReceivedSpan } from '../../helpers/otlp-collector.js';
import { expectOneSentence, silentDatabase } from '../../helpers/serve-start.js';

/** OTLP's SPAN_KIND_SERVER and STATUS_CODE_ERROR. */
const SERVER = 2;
const ERROR = 2;

let collector: FakeCollector;
let scratch: string;

beforeAll(async () => {
  collector = await startFakeCollector();
  scratch = await mkdtemp(join(tmpdir(), 'hsp-serve-telemetry-'));
});
afterAll(async () => {
  await collector.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('hsp serve with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('sends a span and a duration per request, by route pattern, and flushes them on SIGTERM', { timeout: 60_000 }, async () => {
    // A metric interval far beyond the test: the metrics can only arrive through the shutdown's flush.
    const server = spawnHsp(['serve', '--memory', '--port', '0'], { env: { TMPDIR: scratch, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_METRIC_EXPORT_INTERVAL: '600000' } });
    try {
      const [, url] = await server.waitFor(/^Marketplace listening at (\S+) /m);
      const [, tokenFile] = await server.waitFor(/^Administrator token written to (.+)$/m);
      const token = (await readFile(tokenFile!, 'utf8')).trim();
      const headers = { accept: 'application/json', authorization: `Bearer ${token}` };

      const created = await fetch(`${url}/products`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Traced product' }) });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect((await fetch(`${url}/products/${id}`, { headers })).status).toBe(200);
      // A sign-in code in a query string, and the `.json` suffix: neither may reach a span.
      expect((await fetch(`${url}/products/${id}.json?code=query-secret-123`, { headers })).status).toBe(200);
      const unknownId = '0d3c9a4e-5b7f-4c1a-9e2d-8f6b5a4c3d2e';
      expect((await fetch(`${url}/products/${unknownId}`, { headers })).status).toBe(404);
      expect((await fetch(`${url}/no-such-route/${unknownId}?token=query-secret-456`, { headers })).status).toBe(404);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpan = '00f067aa0ba902b7';
      expect((await fetch(`${url}/status`, { headers: { ...headers, traceparent: `00-${traceId}-${callerSpan}-01` } })).status).toBe(200);

      const started = performance.now();
      server.child.kill('SIGTERM');
      const exit = await server.exited;
      expect(exit.code, exit.stderr).toBe(0);
      // The flush is bounded; against a collector that answers it takes a moment.
      expect(performance.now() - started).toBeLessThan(10_000);

      const requestSpans = collector.spans.filter((span) => span.kind === SERVER);
      const named = (name: string) => requestSpans.filter((span) => span.name === name);
      expect(named('POST /products')).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ 'http.request.method': 'POST', 'http.route': '/products', 'http.response.status_code': 201 }) })]);
      const reads = named('GET /products/:id').map((span) => span.attributes['http.response.status_code']);
      expect(reads.sort()).toEqual([200, 200, 404]);
      // No route matched: the method alone, and no route attribute to echo the path.
      const unmatched = named('GET').filter((span) => span.attributes['http.response.status_code'] === 404);
      expect(unmatched).toHaveLength(1);
      expect(unmatched[0]!.attributes).not.toHaveProperty('http.route');
      // The caller's trace goes on through the server.
      const status = named('GET /status');
      expect(status).toEqual([expect.objectContaining({ traceId, parentSpanId: callerSpan })]);
      expect(requestSpans.every((span) => span.status.code !== ERROR)).toBe(true);
      expect(requestSpans.every((span) => span.endMs >= span.startMs)).toBe(true);

      expect(requestSpans[0]!.resource).toMatchObject({ 'service.name': 'hsp-serve', 'service.version': VERSION });
      expect(requestSpans[0]!.scope).toBe('hsp');

      const durations = collector.points.filter((point) => point.metric === 'http.server.request.duration');
      expect(durations.length).toBeGreaterThan(0);
      expect(durations.every((point) => point.unit === 's')).toBe(true);
      const byRoute = durations.find((point) => point.attributes['http.route'] === '/products/:id' && point.attributes['http.response.status_code'] === 200);
      expect(byRoute?.count).toBe(2);

      // Nothing from a URL or a request reaches the collector: ids, tokens, query strings.
      const sent = JSON.stringify({ spans: collector.spans.map(namesAndAttributes), points: collector.points.map((point) => point.attributes) });
      for (const secret of [id, unknownId, token, 'query-secret-123', 'query-secret-456', '?', '.json']) expect(sent).not.toContain(secret);
      expect(collector.requests.every((request) => request.contentType === 'application/json')).toBe(true);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('a collector that never answers holds up the stop by at most the shutdown bound (5 s)', { timeout: 60_000 }, async () => {
    // Accepts connections and never says a word; the exporter alone would wait a minute.
    const silent = await silentDatabase();
    const server = spawnHsp(['serve', '--memory', '--port', '0'], {
      env: { TMPDIR: scratch, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${silent.port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '60000' },
    });
    try {
      const [, url] = await server.waitFor(/^Marketplace listening at (\S+) /m);
      expect((await fetch(`${url}/status`)).status).toBe(200);
      const started = performance.now();
      server.child.kill('SIGTERM');
      const exit = await server.exited;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).toBe('');
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      server.child.kill('SIGKILL');
      await silent.close();
    }
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, such as http://localhost:4318, not "collector:4318".'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:// or https:// URL, such as http://localhost:4318, not "not a url".'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      `OTEL_EXPORTER_OTLP_PROTOCOL must be http/json or http/protobuf, not "grpc": hsp sends OTLP over HTTP, so point it at the collector's HTTP port (4318).`,
    ],
  ])('%o: exit 2 with one sentence, before anything starts', async (env, says) => {
    const run = await spawnHsp(['serve', '--memory', '--port', '0'], { env: { TMPDIR: scratch, ...env } }).exited;
    expect(run.code).toBe(2);
    expect(expectOneSentence(run)).toBe(says);
  });
});

function namesAndAttributes(span: ReceivedSpan): unknown {
  return { name: span.name, attributes: span.attributes };
}
