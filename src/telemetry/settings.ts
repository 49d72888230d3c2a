/**
 * Whether `hsp serve` and `hsp agent listen` send their own traces and metrics, decided from
 * the standard OpenTelemetry variables alone, without loading any OpenTelemetry module: when
 * no OTLP endpoint is set this is all the telemetry code that runs.
 *
 * On: `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector's base URL; `/v1/traces` and `/v1/metrics`
 * are added), or the per-signal `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` and
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (used as they are). Off, whatever is set:
 * `OTEL_SDK_DISABLED=true`; one signal off: `OTEL_TRACES_EXPORTER=none`, `OTEL_METRICS_EXPORTER=none`.
 * The exporters speak OTLP over HTTP (JSON), which every collector's HTTP port (4318) takes.
 */

/** A telemetry variable that cannot work; the command turns it into its usage error. */
export class TelemetrySettingsError extends Error {
  override name = 'TelemetrySettingsError';
}

export interface TelemetrySettings {
  /** `service.name` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names one. */
  serviceName: string;
  /** Where spans go (the full URL, `…/v1/traces`); absent: no traces. */
  tracesUrl?: string;
  /** Where metrics go (`…/v1/metrics`); absent: no metrics. */
  metricsUrl?: string;
  /** How often metrics are sent (OTEL_METRIC_EXPORT_INTERVAL, default 60 s). */
  metricIntervalMs: number;
  /** How long one metrics export may take (OTEL_METRIC_EXPORT_TIMEOUT, default 30 s). */
  metricTimeoutMs: number;
}

const DEFAULT_METRIC_INTERVAL_MS = 60_000;
const DEFAULT_METRIC_TIMEOUT_MS = 30_000;

/** The settings, or `undefined` when telemetry is off; a variable that cannot work throws. */
export function telemetrySettings(env: NodeJS.ProcessEnv, defaultServiceName: string): TelemetrySettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const traces = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const metrics = nonEmpty(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  if (base === undefined && traces === undefined && metrics === undefined) return undefined;

  checkProtocol(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const tracesUrl = exporterOff(env.OTEL_TRACES_EXPORTER) ? undefined : signalUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', base, 'v1/traces');
  const metricsUrl = exporterOff(env.OTEL_METRICS_EXPORTER) ? undefined : signalUrl(metrics, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', base, 'v1/metrics');
  if (tracesUrl) checkProtocol(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  if (metricsUrl) checkProtocol(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL');
  if (!tracesUrl && !metricsUrl) return undefined;

  return {
    serviceName: defaultServiceName,
    ...(tracesUrl ? { tracesUrl } : {}),
    ...(metricsUrl ? { metricsUrl } : {}),
    metricIntervalMs: milliseconds(env, 'OTEL_METRIC_EXPORT_INTERVAL', DEFAULT_METRIC_INTERVAL_MS),
    metricTimeoutMs: milliseconds(env, 'OTEL_METRIC_EXPORT_TIMEOUT', DEFAULT_METRIC_TIMEOUT_MS),
  };
}

/** The per-signal endpoint as it is, else the base endpoint plus the signal's path (as the OTLP exporter specification says). */
function signalUrl(own: string | undefined, ownName: string, base: string | undefined, path: string): string | undefined {
  if (own !== undefined) return httpUrl(own, ownName);
  if (base === undefined) return undefined;
  const url = httpUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return `${url.replace(/\/+$/, '')}/${path}`;
}

function httpUrl(text: string, name: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(text).protocol;
  } catch {
    // Not a URL at all: said below, as a URL of another scheme is.
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TelemetrySettingsError(`${name} must be an http:// or https:// URL, such as http://localhost:4318, not ${JSON.stringify(clip(text))}.`);
  }
  return text;
}

/** gRPC would need another exporter (and a native-looking dependency tree): say so rather than send nowhere. */
function checkProtocol(env: NodeJS.ProcessEnv, name: string): void {
  const protocol = nonEmpty(env[name])?.toLowerCase();
  if (protocol === undefined || protocol === 'http/json' || protocol === 'http/protobuf') return;
  throw new TelemetrySettingsError(
    `${name} must be http/json or http/protobuf, not ${JSON.stringify(clip(protocol))}: hsp sends OTLP over HTTP, so point it at the collector's HTTP port (4318).`,
  );
}

function exporterOff(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'none';
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new TelemetrySettingsError(`${name} must be a whole number of milliseconds, at least 1, not ${JSON.stringify(clip(text))}.`);
  return Number(text);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
