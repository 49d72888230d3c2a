/**
 * The instance's environment values as a form holds them, and their check with the agent's own
 * rules (src/agent/deployment.ts), so a mistake is told beside its field instead of as a failed
 * deploy later.
 */
import { MAX_VALUE_BYTES, VARIABLE_NAME, type BuildVariable } from './build-variables.js';

export interface EnvironmentDraft {
  /** Values of the declared variables, by name ('' = not given). */
  values: Record<string, string>;
  /** `NAME=value` lines. */
  other: string;
}

export type EnvironmentErrors = Record<string, string>;

/** The key under which the free-form box's error is kept. */
export const OTHER = ' other';

/** A draft from an instance's current environment: declared names to their fields, the rest to the box. */
export function draftOf(variables: BuildVariable[], environment: Record<string, string> = {}): EnvironmentDraft {
  const declared = new Set(variables.map((variable) => variable.name));
  const values = Object.fromEntries(variables.map((variable) => [variable.name, environment[variable.name] ?? '']));
  const other = Object.entries(environment)
    .filter(([name]) => !declared.has(name))
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
  return { values, other };
}

/** The environment to send, or the errors to show (by variable name, and OTHER for the box). */
export function checkEnvironment(variables: BuildVariable[], draft: EnvironmentDraft): { environment: Record<string, string>; errors: EnvironmentErrors } {
  const environment: Record<string, string> = {};
  const errors: EnvironmentErrors = {};
  for (const variable of variables) {
    const value = draft.values[variable.name] ?? '';
    if (value === '') {
      if (variable.required) errors[variable.name] = `${variable.name} is required: the build has no default for it.`;
      continue;
    }
    const problem = valueProblem(variable.name, value);
    if (problem) errors[variable.name] = problem;
    else environment[variable.name] = value;
  }
  const lines = draft.other.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') continue;
    const problem = otherLineProblem(line, `Line ${i + 1} of Other variables`, draft.values, environment);
    if (problem) {
      // One sentence at a time: the first line that is wrong.
      errors[OTHER] = problem;
      break;
    }
    const at = line.indexOf('=');
    environment[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return { environment, errors };
}

function otherLineProblem(line: string, where: string, declared: Record<string, string>, seen: Record<string, string>): string | undefined {
  const at = line.indexOf('=');
  if (at < 1) return `${where} is not NAME=value.`;
  const name = line.slice(0, at).trim();
  if (!VARIABLE_NAME.test(name)) return `${where}: ${name} is not a variable name (capital letters, digits and _ only).`;
  if (name.startsWith('HSP_')) return `${where}: HSP_ variables are the claim data the agent gives every task; choose another name.`;
  if (Object.hasOwn(declared, name)) return `${where}: ${name} has its own field above.`;
  if (Object.hasOwn(seen, name)) return `${where}: ${name} is set twice.`;
  return valueProblem(name, line.slice(at + 1));
}

function valueProblem(name: string, value: string): string | undefined {
  if (value.includes('\u0000')) return `${name} contains a NUL character, which no environment variable can hold.`;
  if (new TextEncoder().encode(value).length > MAX_VALUE_BYTES) return `${name} is longer than ${MAX_VALUE_BYTES / 1024} KiB, the most the agent accepts.`;
  return undefined;
}
