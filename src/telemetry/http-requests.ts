/**
 * A span and a duration for every request `hsp serve` answers, as OpenTelemetry's HTTP
 * semantic conventions name them: span `GET /products/:id`, attributes `http.request.method`,
 * `http.route`, `http.response.status_code`, metric `http.server.request.duration` (seconds).
 *
 * Only the route's pattern is recorded, never the URL: paths carry record ids and query strings
 * carry sign-in codes and tokens, and ids in a metric attribute would make one series per
 * record. A request that matched no route has no route attribute at all. An incoming W3C
 * `traceparent` makes the span part of the caller's trace.
 *
 * Recorded once the answer is sent (Fastify's onResponse, with `reply.elapsedTime` since the
 * request arrived), so no span is ever left open by a request that failed half-way.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, type Attributes } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { FastifyInstance } from 'fastify';
import type { Telemetry } from './telemetry.js';

/** The methods HTTP defines; any other is `_OTHER`, so a client cannot invent new series. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/** The semantic conventions' advice for `http.server.request.duration`, in seconds. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export function recordRequests(app: FastifyInstance, telemetry: Telemetry): void {
  const duration = telemetry.meter.createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const propagator = new W3CTraceContextPropagator();

  app.addHook('onResponse', async (req, reply) => {
    const elapsedMs = reply.elapsedTime;
    const end = performance.timeOrigin + performance.now();
    const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
    // The pattern the router matched (`/products/:id`); absent when none did.
    const route = req.routeOptions.url;
    const status = reply.statusCode;
    const attributes: Attributes = {
      'http.request.method': method,
      'http.response.status_code': status,
      'url.scheme': req.protocol,
      ...(route ? { 'http.route': route } : {}),
      ...(status >= 500 ? { 'error.type': String(status) } : {}),
    };
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = telemetry.tracer.startSpan(route ? `${method} ${route}` : method, { kind: SpanKind.SERVER, startTime: end - elapsedMs, attributes }, parent);
    // Server spans mark only 5xx as errors: a 4xx is the client's, and the service did its job.
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
    duration.record(elapsedMs / 1000, attributes);
  });
}
