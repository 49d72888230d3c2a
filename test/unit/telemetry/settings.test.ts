/**
 * When hsp's own telemetry is on, read from the standard OpenTelemetry variables alone: the
 * endpoints and their paths, the switches that turn it or one signal off, and one sentence for
 * a variable that cannot work.
 */
import { describe, expect, it } from 'vitest';
import { telemetrySettings, TelemetrySettingsError } from '../../../src/telemetry/settings.js';

const settings = (env: NodeJS.ProcessEnv) => telemetrySettings(env, 'hsp-test');

describe('telemetrySettings', () => {
  it('is off without an OTLP endpoint, or with OTEL_SDK_DISABLED=true, whatever else is set', () => {
    expect(settings({})).toBeUndefined();
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' })).toBeUndefined();
  });

  it('adds the signal paths to the base endpoint, and takes per-signal endpoints as they are', () => {
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      serviceName: 'hsp-test',
      tracesUrl: 'http://collector:4318/v1/traces',
      metricsUrl: 'http://collector:4318/v1/metrics',
      metricIntervalMs: 60_000,
      metricTimeoutMs: 30_000,
    });
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/in' })).toMatchObject({
      tracesUrl: 'https://traces.example/in',
      metricsUrl: 'https://otel.example/base/v1/metrics',
    });
    const tracesOnly = settings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' });
    expect(tracesOnly).toMatchObject({ tracesUrl: 'http://collector:4318/v1/traces' });
    expect(tracesOnly).not.toHaveProperty('metricsUrl');
  });

  it('turns one signal off with OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER=none', () => {
    const metricsOnly = settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' });
    expect(metricsOnly).toMatchObject({ metricsUrl: 'http://collector:4318/v1/metrics' });
    expect(metricsOnly).not.toHaveProperty('tracesUrl');
  });

  it('reads the metric export interval and timeout', () => {
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRIC_EXPORT_INTERVAL: '5000', OTEL_METRIC_EXPORT_TIMEOUT: '1000' })).toMatchObject({
      metricIntervalMs: 5000,
      metricTimeoutMs: 1000,
    });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, such as http://localhost:4318, not "localhost:4318".'],
    [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'ftp://collector' }, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT must be an http:// or https:// URL, such as http://localhost:4318, not "ftp://collector".'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
      `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http/json or http/protobuf, not "grpc": hsp sends OTLP over HTTP, so point it at the collector's HTTP port (4318).`,
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRIC_EXPORT_INTERVAL: '10s' }, 'OTEL_METRIC_EXPORT_INTERVAL must be a whole number of milliseconds, at least 1, not "10s".'],
  ])('%o: one sentence', (env, says) => {
    expect(() => settings(env)).toThrow(new TelemetrySettingsError(says));
  });
});
