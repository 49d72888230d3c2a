/**
 * A fake OpenTelemetry collector: a real HTTP server on 127.0.0.1 taking OTLP/HTTP JSON (what
 * hsp's exporters send) at POST /v1/traces and /v1/metrics, gzip or not, and keeping what it
 * got, flattened into spans and metric points that tests can read.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
type OtlpAttribute = { key: string; value: OtlpValue };
type Attributes = Record<string, unknown>;

export interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  parentSpanId?: string;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  status: { code?: number; message?: string };
  resource: Attributes;
  scope: string;
}

export interface ReceivedPoint {
  metric: string;
  unit?: string;
  attributes: Attributes;
  /** Histograms: how many values were recorded; sums and gauges: the value. */
  count?: number;
  value?: number;
  resource: Attributes;
}

export interface FakeCollector {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  points: ReceivedPoint[];
  /** Every request as it came: path and content type. */
  requests: { path: string; contentType: string }[];
  /** Resolves once `match` holds for what has arrived (checked on each arrival). */
  waitFor(match: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeCollector(): Promise<FakeCollector> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const requests: FakeCollector['requests'] = [];
  let waiters: { match: () => boolean; resolve: () => void }[] = [];
  const arrived = () => {
    waiters = waiters.filter((waiter) => {
      if (!waiter.match()) return true;
      waiter.resolve();
      return false;
    });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ path: req.url ?? '', contentType });
      if (req.method !== 'POST' || !/json/.test(contentType)) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse((await bodyOf(req)).toString('utf8')) as Record<string, unknown>;
      if (req.url === '/v1/traces') spans.push(...spansOf(body));
      else if (req.url === '/v1/metrics') points.push(...pointsOf(body));
      else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      arrived();
    })().catch(() => res.writeHead(400).end());
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    points,
    requests,
    waitFor(match, what, timeoutMs = 15_000) {
      if (match()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`The collector did not receive ${what}; it has spans ${JSON.stringify(spans.map((s) => s.name))} and metrics ${JSON.stringify([...new Set(points.map((p) => p.metric))])}.`)), timeoutMs);
        waiters.push({
          match,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = req.headers['content-encoding'];
  if (encoding === 'gzip') return gunzipSync(raw);
  if (encoding === 'deflate') return inflateSync(raw);
  return raw;
}

function attributesOf(list: OtlpAttribute[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

const nanosToMs = (nanos: unknown) => Number(BigInt(String(nanos ?? 0)) / 1_000_000n);

interface ResourceEntry<T> {
  resource?: { attributes?: OtlpAttribute[] };
  scopeSpans?: { scope?: { name?: string }; spans?: T[] }[];
  scopeMetrics?: { scope?: { name?: string }; metrics?: T[] }[];
}

function spansOf(body: Record<string, unknown>): ReceivedSpan[] {
  type Span = { name: string; kind: number; traceId: string; parentSpanId?: string; startTimeUnixNano: string; endTimeUnixNano: string; attributes?: OtlpAttribute[]; status?: { code?: number; message?: string } };
  return ((body.resourceSpans ?? []) as ResourceEntry<Span>[]).flatMap((entry) => {
    const resource = attributesOf(entry.resource?.attributes);
    return (entry.scopeSpans ?? []).flatMap((scoped) =>
      (scoped.spans ?? []).map((span) => ({
        name: span.name,
        kind: span.kind,
        traceId: span.traceId,
        ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
        startMs: nanosToMs(span.startTimeUnixNano),
        endMs: nanosToMs(span.endTimeUnixNano),
        attributes: attributesOf(span.attributes),
        status: span.status ?? {},
        resource,
        scope: scoped.scope?.name ?? '',
      })),
    );
  });
}

function pointsOf(body: Record<string, unknown>): ReceivedPoint[] {
  type DataPoint = { attributes?: OtlpAttribute[]; count?: string | number; asDouble?: number; asInt?: string | number };
  type Metric = { name: string; unit?: string; histogram?: { dataPoints?: DataPoint[] }; sum?: { dataPoints?: DataPoint[] }; gauge?: { dataPoints?: DataPoint[] } };
  return ((body.resourceMetrics ?? []) as ResourceEntry<Metric>[]).flatMap((entry) => {
    const resource = attributesOf(entry.resource?.attributes);
    return (entry.scopeMetrics ?? []).flatMap((scoped) =>
      (scoped.metrics ?? []).flatMap((metric) =>
        (metric.histogram?.dataPoints ?? metric.sum?.dataPoints ?? metric.gauge?.dataPoints ?? []).map((point) => ({
          metric: metric.name,
          ...(metric.unit ? { unit: metric.unit } : {}),
          attributes: attributesOf(point.attributes),
          ...(point.count !== undefined ? { count: Number(point.count) } : {}),
          ...(point.asDouble !== undefined ? { value: point.asDouble } : point.asInt !== undefined ? { value: Number(point.asInt) } : {}),
          resource,
        })),
      ),
    );
  });
}
