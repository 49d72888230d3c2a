/**
 * The process's own telemetry, started by the command that runs a service (`hsp serve`,
 * `hsp agent listen`) and looked up by the parts that record (the HTTP server's hooks). The
 * OpenTelemetry SDK is process-wide by nature; so is this.
 *
 * The SDK is imported only here, and only when the settings say telemetry is on: without an
 * OTLP endpoint no OpenTelemetry module is ever loaded.
 */
import type { TelemetrySettings } from './settings.js';
import type { Telemetry } from './telemetry.js';

/** How long a stopping service waits for its last spans and metrics to reach the collector. */
export const TELEMETRY_SHUTDOWN_MS = 5_000;

let current: Telemetry | undefined;

/** Starts the SDK when `settings` says so (see ./settings.ts); `undefined` when telemetry is off. */
export async function startTelemetry(settings: TelemetrySettings | undefined): Promise<Telemetry | undefined> {
  if (!settings) return undefined;
  const { startOpenTelemetry } = await import('./sdk.js');
  current = startOpenTelemetry(settings);
  return current;
}

/** The running telemetry, if the command started one. */
export function processTelemetry(): Telemetry | undefined {
  return current;
}

/** Flushes and stops the running telemetry within `timeoutMs`; nothing when none runs. */
export async function stopTelemetry(timeoutMs = TELEMETRY_SHUTDOWN_MS): Promise<void> {
  const telemetry = current;
  current = undefined;
  await telemetry?.shutdown(timeoutMs);
}
