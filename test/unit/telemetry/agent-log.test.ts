/**
 * The agent's spans and durations, read off its log events by the real OpenTelemetry SDK into
 * in-memory exporters: one span per deploy, removal and reconcile from start to end, the
 * outcome and an error status for failures, a span of no length for an ending with no start,
 * spans left open ended as interrupted, and nothing a failure's reason says in any attribute.
 */
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { traceAgentLog } from '../../../src/telemetry/agent-log.js';

const INSTANCE = '7a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';

function setUp() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const logged: string[] = [];
  const traced = traceAgentLog((event) => logged.push(event), {
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    shutdown: async () => {},
  });
  const durations = async (name: string) => {
    await reader.forceFlush();
    const metric = metrics
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, count: (point.value as { count: number }).count }));
  };
  cleanups.push(() => Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]));
  return { traced, spans, logged, durations };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('traceAgentLog', () => {
  it('logs every event as before, and spans a deploy from its start to its end', async () => {
    const { traced, spans, logged, durations } = setUp();
    traced.log('agent.signed_in', { platform: 'platform-1', name: 'my-host' });
    traced.log('agent.started', { platform: 'platform-1', orchestrator: 'docker' });
    traced.log('deploy.started', { instance: INSTANCE, build: 'build-1', image: 'example/app:1.0.0', fingerprint: 'f1', reason: 'missing' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    traced.log('dry_run.deploy', { instance_id: INSTANCE, environment: ['GREETING'] });
    traced.log('deploy.done', { instance: INSTANCE, fingerprint: 'f1', orchestrator: 'docker', workloads: 2, report: 'written', ms: 20 });
    expect(logged).toEqual(['agent.signed_in', 'agent.started', 'deploy.started', 'dry_run.deploy', 'deploy.done']);

    const [span, ...more] = spans.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span!.name).toBe('hsp.agent.deploy');
    expect(span!.attributes).toEqual({
      'hsp.platform.id': 'platform-1',
      'hsp.orchestrator': 'docker',
      'hsp.instance.id': INSTANCE,
      'hsp.build.id': 'build-1',
      'hsp.image': 'example/app:1.0.0',
      'hsp.deploy.reason': 'missing',
      'hsp.workloads': 2,
      'hsp.outcome': 'done',
    });
    expect(span!.status.code).toBe(0);
    const ms = span!.duration[0] * 1000 + span!.duration[1] / 1e6;
    expect(ms).toBeGreaterThanOrEqual(15);
    expect(await durations('hsp.agent.deploy.duration')).toEqual([{ attributes: { 'hsp.outcome': 'done', 'hsp.orchestrator': 'docker' }, count: 1 }]);
  });

  it('marks a failure as an error without its reason, and keeps deploys of different instances apart', async () => {
    const { traced, spans, durations } = setUp();
    const other = '0f1e2d3c-4b5a-4968-8776-655443322110';
    traced.log('deploy.started', { instance: INSTANCE, build: 'b', reason: 'changed' });
    traced.log('deploy.started', { instance: other, build: 'b', reason: 'missing' });
    traced.log('deploy.failed', { instance: INSTANCE, reason: 'pull access denied for registry.example/secret-token-abc' });
    traced.log('deploy.done', { instance: other, workloads: 1 });
    const byInstance = Object.fromEntries(spans.getFinishedSpans().map((span) => [span.attributes['hsp.instance.id'], span]));
    expect(byInstance[INSTANCE]!.attributes['hsp.outcome']).toBe('failed');
    expect(byInstance[INSTANCE]!.status.code).toBe(2);
    expect(byInstance[other]!.attributes['hsp.outcome']).toBe('done');
    expect(JSON.stringify(spans.getFinishedSpans().map((span) => [span.attributes, span.status, span.events]))).not.toContain('secret-token-abc');
    const points = await durations('hsp.agent.deploy.duration');
    expect(points.map((point) => point.attributes['hsp.outcome']).sort()).toEqual(['done', 'failed']);
  });

  it('records an ending with no start as a span of no length, and reconciles and removals by their own names', () => {
    const { traced, spans } = setUp();
    traced.log('deploy.refused', { instance: INSTANCE, build: 'b', reason: 'The task has no image.' });
    traced.log('reconcile.started', { reason: 'subscribed' });
    traced.log('reconcile.done', { instances: 3, workloads: null, orphans: 1, ms: 5 });
    traced.log('remove.started', { instance: INSTANCE });
    traced.log('remove.done', { instance: INSTANCE });
    const finished = spans.getFinishedSpans();
    expect(finished.map((span) => [span.name, span.attributes['hsp.outcome']])).toEqual([
      ['hsp.agent.deploy', 'refused'],
      ['hsp.agent.reconcile', 'done'],
      ['hsp.agent.remove', 'done'],
    ]);
    expect(finished[0]!.duration).toEqual([0, 0]);
    expect(finished[0]!.status.code).toBe(0);
    expect(finished[1]!.attributes).toMatchObject({ 'hsp.reconcile.reason': 'subscribed', 'hsp.reconcile.instances': 3, 'hsp.reconcile.orphans': 1 });
    expect(finished[1]!.attributes).not.toHaveProperty('hsp.reconcile.workloads');
  });

  it('ends what is still open as interrupted when the agent stops', () => {
    const { traced, spans } = setUp();
    traced.log('deploy.started', { instance: INSTANCE, build: 'b', reason: 'missing' });
    traced.log('reconcile.started', { reason: 'retry' });
    expect(spans.getFinishedSpans()).toEqual([]);
    traced.endOpen();
    expect(spans.getFinishedSpans().map((span) => [span.name, span.attributes['hsp.outcome']]).sort()).toEqual([
      ['hsp.agent.deploy', 'interrupted'],
      ['hsp.agent.reconcile', 'interrupted'],
    ]);
  });
});
