/**
 * The environment variables a build declares, which an instance gives values for: those of
 * its default configuration's tasks (the configuration the agent deploys, by the publisher's
 * convention) and the parameters of the interfaces it exposes. The agent checks the same names.
 */
import { defaultConfiguration } from '../../../manifest/conventions.js';
import type { Task } from '../../../sdk/types/tasks.js';
import { api } from '../../api.js';

export interface BuildVariable {
  name: string;
  description?: string;
  /** The instance must give a value: a task needs it, without a default. */
  required: boolean;
  /**
   * A task needs it without a default, but the agent may give it: autowiring (the build needs
   * interfaces of other instances) or the platform's own environment. Left to the agent to check.
   */
  mayBeGiven?: boolean;
  /** Used when the instance gives no value. */
  default?: string;
}

/** What the agent accepts as a name (src/agent/deployment.ts); `HSP_*` is the agent's claim data. */
export const VARIABLE_NAME = /^[A-Z0-9_]+$/;
/** The agent refuses a longer value. */
export const MAX_VALUE_BYTES = 32 * 1024;
/** What an agent may give every task of its platform (`hsp agent listen --otel-collector-url`). */
const PLATFORM_GIVEN = new Set(['OPENTELEMETRY_COLLECTOR_URL']);

export async function buildVariables(productId: string, buildId: string, signal: AbortSignal): Promise<BuildVariable[]> {
  const client = api();
  const [configurations, exposures, dependencies] = await Promise.all([
    client.configurations.list(productId, buildId, { signal }).toArray({ limit: 100 }),
    client.exposures.list(productId, buildId, { perPage: 100 }, { signal }).toArray({ limit: 100 }),
    client.dependencies.list(productId, buildId, { perPage: 1 }, { signal }),
  ]);
  const wired = dependencies.items.length > 0;
  const configuration = defaultConfiguration(configurations);
  const [tasks, parameters] = await Promise.all([
    configuration ? client.tasks.list(productId, buildId, configuration.id, { signal }).toArray({ limit: 100 }) : Promise.resolve([] as Task[]),
    Promise.all(exposures.map((exposure) => client.parameters.list(productId, buildId, exposure.id, { perPage: 100 }, { signal }).toArray({ limit: 100 }))),
  ]);
  const variables = new Map<string, BuildVariable>();
  for (const task of tasks) {
    for (const entry of Array.isArray(task.environment) ? task.environment : []) {
      if (!entry || typeof entry.key !== 'string' || !VARIABLE_NAME.test(entry.key) || entry.key.startsWith('HSP_')) continue;
      const known = variables.get(entry.key);
      const hasDefault = typeof entry.default === 'string';
      variables.set(entry.key, {
        name: entry.key,
        description: known?.description ?? (typeof entry.description === 'string' && entry.description ? entry.description : undefined),
        // Required when a task needs it and no task gives a default.
        required: (known?.required ?? false) || (entry.required === true && !hasDefault),
        default: known?.default ?? (hasDefault ? entry.default : undefined),
      });
    }
  }
  for (const parameter of parameters.flat()) {
    if (typeof parameter.name !== 'string' || !VARIABLE_NAME.test(parameter.name) || parameter.name.startsWith('HSP_') || variables.has(parameter.name)) continue;
    variables.set(parameter.name, { name: parameter.name, description: 'A parameter of an interface this build offers.', required: parameter.required === true });
  }
  for (const variable of variables.values()) {
    if (variable.required && (wired || PLATFORM_GIVEN.has(variable.name))) {
      variable.required = false;
      variable.mayBeGiven = true;
    }
  }
  return [...variables.values()].sort((a, b) => Number(b.required) - Number(a.required) || a.name.localeCompare(b.name));
}
