/**
 * What a running OpenTelemetry SDK offers the rest of hsp: a tracer and a meter to record
 * with, and a bounded shutdown. Types only, so that naming it loads nothing.
 */
import type { Meter, Tracer } from '@opentelemetry/api';

export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /**
   * Sends what is still buffered and stops, giving up after `timeoutMs`: a collector that is
   * down or slow must never hold up the exit. Never rejects.
   */
  shutdown(timeoutMs: number): Promise<void>;
}
