/**
 * The OpenTelemetry SDK for Node, set up for one service: a tracer provider whose spans go in
 * batches to the OTLP/HTTP trace exporter, and a meter provider read periodically into the
 * OTLP/HTTP metric exporter. Loaded only through ./process-telemetry.ts, once the settings say
 * telemetry is on.
 *
 * Beside what ./settings.ts reads, the SDK itself honours the standard variables it knows:
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (they win over the default service name),
 * OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION (and their per-signal forms),
 * OTEL_TRACES_SAMPLER and _ARG, OTEL_BSP_*, the span limits, and
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
 *
 * Nothing is registered globally: hsp records through the tracer and meter it is handed, and
 * export failures stay inside the SDK (its diagnostics are off), so a collector that is down
 * never disturbs the service.
 */
import { metrics as noopMetrics, trace as noopTrace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { VERSION } from '../version.js';
import type { TelemetrySettings } from './settings.js';
import type { Telemetry } from './telemetry.js';

/** The instrumentation scope: what recorded the spans and metrics. */
const SCOPE = 'hsp';

export function startOpenTelemetry(settings: TelemetrySettings): Telemetry {
  // Lowest first: the SDK's own attributes, then ours, then what the environment says.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));

  const tracerProvider = settings.tracesUrl
    ? new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }))] })
    : undefined;
  const meterProvider = settings.metricsUrl
    ? new MeterProvider({
        resource,
        readers: [
          new PeriodicExportingMetricReader({
            exporter: new OTLPMetricExporter({ url: settings.metricsUrl }),
            exportIntervalMillis: settings.metricIntervalMs,
            // The SDK refuses a timeout longer than the interval.
            exportTimeoutMillis: Math.min(settings.metricTimeoutMs, settings.metricIntervalMs),
          }),
        ],
      })
    : undefined;

  return {
    // A signal that is off records into the API's no-op tracer or meter: callers need not ask.
    tracer: (tracerProvider ?? noopTrace.getTracerProvider()).getTracer(SCOPE, VERSION),
    meter: (meterProvider ?? noopMetrics.getMeterProvider()).getMeter(SCOPE, VERSION),
    async shutdown(timeoutMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      // Shutting down flushes: the last batch of spans and one final collection of metrics.
      const flushed = Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
      await Promise.race([flushed, deadline]);
      clearTimeout(timer);
    },
  };
}
