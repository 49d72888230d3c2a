/**
 * The agent's traces and metrics, read off its structured log: the agent already says when a
 * deploy, a removal or a reconcile starts (`deploy.started`) and how it ended (`deploy.done`,
 * `deploy.failed`, `deploy.aborted`, `deploy.refused`, …), so wrapping its log function is
 * all it takes, and the agent itself knows nothing of OpenTelemetry.
 *
 * Per operation: a span `hsp.agent.deploy` (`hsp.agent.remove`, `hsp.agent.reconcile`) from
 * its start to its end, with `hsp.outcome` (the last word of the ending event) and an error
 * status when it failed; and a histogram `hsp.agent.deploy.duration` (…) in seconds by outcome
 * and orchestrator. An ending with no start (a deploy refused before it began) is a span of no
 * length.
 *
 * Attributes are ids, counts and the agent's own words (the reason a deploy started, the
 * image), never a reason a failure gives (the log has it, at the same time, for the same
 * instance): those quote the outside world, and nothing from an environment or a token may
 * ride along.
 */
import { SpanStatusCode, type Attributes, type Histogram, type Span } from '@opentelemetry/api';
import type { AgentLog } from '../agent/orchestrator.js';
import type { Telemetry } from './telemetry.js';

const OPERATIONS = ['deploy', 'remove', 'reconcile'] as const;
type Operation = (typeof OPERATIONS)[number];

/** Outcomes that are errors; the rest (done, refused, aborted, …) ended as the agent meant. */
const ERROR_OUTCOMES = new Set(['failed', 'error']);

const DURATION_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Text attributes are the agent's own short words; anything longer is cut. */
const MAX_TEXT = 200;

interface Open {
  span: Span;
  startedAt: number;
}

export interface TracedAgentLog {
  /** Logs as before, and records what the event starts or ends. */
  log: AgentLog;
  /** Ends the spans still open (the agent stopped in the middle) as `interrupted`. */
  endOpen(): void;
}

export function traceAgentLog(log: AgentLog, telemetry: Telemetry): TracedAgentLog {
  const durations = Object.fromEntries(
    OPERATIONS.map((operation) => [
      operation,
      telemetry.meter.createHistogram(`hsp.agent.${operation}.duration`, {
        description: `Duration of the agent's ${operation === 'reconcile' ? 'reconciles' : `${operation}s`}, by outcome.`,
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
      }),
    ]),
  ) as Record<Operation, Histogram>;
  const open = new Map<string, Open>();
  const common: Attributes = {};

  const end = (operation: Operation, key: string, outcome: string, attributes: Attributes) => {
    const now = performance.timeOrigin + performance.now();
    const running = open.get(key);
    open.delete(key);
    const span = running?.span ?? telemetry.tracer.startSpan(`hsp.agent.${operation}`, { startTime: now, attributes: common });
    span.setAttributes({ ...attributes, 'hsp.outcome': outcome });
    if (ERROR_OUTCOMES.has(outcome)) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(now);
    const orchestrator = common['hsp.orchestrator'];
    durations[operation].record(running ? (now - running.startedAt) / 1000 : 0, { 'hsp.outcome': outcome, ...(orchestrator ? { 'hsp.orchestrator': orchestrator } : {}) });
  };

  const traced: AgentLog = (event, fields = {}) => {
    log(event, fields);
    try {
      record(event, fields);
    } catch {
      // Telemetry is a bystander: nothing it does may stop the agent.
    }
  };

  function record(event: string, fields: Record<string, unknown>): void {
    if (event === 'agent.signed_in' && typeof fields.platform === 'string') common['hsp.platform.id'] = fields.platform;
    if (event === 'agent.started' && typeof fields.orchestrator === 'string') common['hsp.orchestrator'] = fields.orchestrator;
    const dot = event.indexOf('.');
    const operation = event.slice(0, dot) as Operation;
    if (dot < 0 || !OPERATIONS.includes(operation)) return;
    const outcome = event.slice(dot + 1);
    const instance = typeof fields.instance === 'string' ? fields.instance : undefined;
    // One reconcile runs at a time; deploys and removals are one at a time per instance.
    const key = `${operation} ${instance ?? ''}`;
    const attributes = attributesOf(operation, outcome, fields);
    if (outcome === 'started') {
      const now = performance.timeOrigin + performance.now();
      // A start with the last one never ended: that one is over, whatever became of it.
      if (open.has(key)) end(operation, key, 'interrupted', {});
      open.set(key, { span: telemetry.tracer.startSpan(`hsp.agent.${operation}`, { startTime: now, attributes: { ...common, ...attributes } }), startedAt: now });
      return;
    }
    end(operation, key, outcome, attributes);
  }

  return {
    log: traced,
    endOpen() {
      for (const key of [...open.keys()]) end(key.split(' ')[0] as Operation, key, 'interrupted', {});
    },
  };
}

/** What an event says that a trace may carry: ids, counts, the agent's own short words. */
function attributesOf(operation: Operation, outcome: string, fields: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  const text = (name: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') out[name] = value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  };
  const count = (name: string, value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
  };
  text('hsp.instance.id', fields.instance);
  if (operation === 'deploy') text('hsp.build.id', fields.build);
  if (operation === 'deploy' && outcome === 'started') {
    text('hsp.image', fields.image);
    text('hsp.deploy.reason', fields.reason);
  }
  if (operation === 'deploy' && outcome === 'done') count('hsp.workloads', fields.workloads);
  if (operation === 'reconcile' && outcome === 'started') text('hsp.reconcile.reason', fields.reason);
  if (operation === 'reconcile' && outcome === 'done') {
    count('hsp.reconcile.instances', fields.instances);
    count('hsp.reconcile.workloads', fields.workloads);
    count('hsp.reconcile.orphans', fields.orphans);
  }
  return out;
}
