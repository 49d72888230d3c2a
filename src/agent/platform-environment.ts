/**
 * The platform's environment (`AgentOptions.environment`): variables the operator of the agent
 * gives every deployed task, such as `OPENTELEMETRY_COLLECTOR_URL`. They sit above the tasks'
 * defaults and below what autowiring and the instance's own input set.
 */
import { isClaimDataName, LIMITS } from './deployment.js';

const ENV_NAME = /^[A-Z0-9_]+$/;

/** Checks the option once, when the agent is made: a bad one is the operator's mistake, said in one sentence. */
export function checkedPlatformEnvironment(environment: unknown): Record<string, string> {
  if (environment === undefined || environment === null) return {};
  if (typeof environment !== 'object' || Array.isArray(environment)) throw new Error('The platform environment is not an object of NAME: "value".');
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (!ENV_NAME.test(name) || name.length > 255) throw new Error(`The platform environment has the variable name ${JSON.stringify(name.slice(0, 60))}, which is not [A-Z0-9_]+.`);
    if (isClaimDataName(name)) throw new Error(`The platform environment sets ${name}, but HSP_* variables are the claim data the agent gives every task.`);
    if (typeof value !== 'string') throw new Error(`The platform environment's ${name} is not text.`);
    if (value.includes('\u0000')) throw new Error(`The platform environment's ${name} contains a NUL character.`);
    if (Buffer.byteLength(value, 'utf8') > LIMITS.envValueBytes) throw new Error(`The platform environment's ${name} is longer than ${LIMITS.envValueBytes / 1024} KiB.`);
    result[name] = value;
  }
  return result;
}
