/** Assertions shared by the CLI tests: a run succeeded, and what it printed as JSON. */
import { expect } from 'vitest';
import type { CliRun } from './cli.js';

/** ANSI escape sequences: colour, cursor movement, line clearing. */
// eslint-disable-next-line no-control-regex -- the escape character is what is looked for
export const ANSI = /\x1b\[/;

/** The run succeeded (on failure the diff shows its stderr); the run is returned for more checks. */
export function ok(run: CliRun): CliRun {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  return run;
}

/** A `--json` run: exit 0, nothing on stderr, and stdout is one JSON document. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
}
