/**
 * An orchestrator could not do what the agent asked (the Engine refused, a hook failed or
 * timed out). The message is one sentence, with no environment values in it: the agent logs it
 * and reports the instance as not deployed.
 */
export class OrchestratorError extends Error {
  override name = 'OrchestratorError';
}

/** Text from outside (an Engine message, a hook's stderr) made fit for one log line: single-line, clipped. */
export function oneLine(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- control characters would break the line
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
