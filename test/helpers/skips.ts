/**
 * Tests that need something a machine may lack (PostgreSQL, root, a system tar, files outside
 * the repository) say why when they skip. Vitest shows a skipped test by its name alone (a note
 * exists only for a `ctx.skip(note)` inside a running test, which would run the file's
 * `beforeAll` first), so a skipped test or suite gets the reason appended to its name:
 *
 *   ↓ hsp serve token on PostgreSQL [skipped: needs PostgreSQL: set HSP_TEST_DATABASE_URL]
 *
 * Use `onlyIf(condition, reason).describe(…)` / `.it(…)` in place of `describe.runIf(condition)` /
 * `it.runIf(condition)`; the reason says what is missing and, where it can, how to provide it.
 * The name is unchanged when the test runs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type SuiteFactory, type TestFunction, type TestOptions } from 'vitest';
import { hasCaptures, sharedDir } from './captures.js';

export interface Precondition {
  /** Whether the tests run. */
  readonly met: boolean;
  readonly reason: string;
  describe(name: string, factory: SuiteFactory, timeout?: number): void;
  describe(name: string, options: TestOptions, factory: SuiteFactory): void;
  it(name: string, fn: TestFunction, timeout?: number): void;
  it(name: string, options: TestOptions, fn: TestFunction): void;
}

/** Tests that run when `condition` is truthy, and otherwise skip with `reason` in their name. */
export function onlyIf(condition: unknown, reason: string): Precondition {
  const met = Boolean(condition);
  const name = (text: string) => (met ? text : `${text} [skipped: ${reason}]`);
  // The arguments after the name go to vitest as they came: its own overloads check them.
  type Passed = (name: string, ...rest: unknown[]) => void;
  return {
    met,
    reason,
    describe: (text: string, ...rest: unknown[]) => (describe.runIf(met) as Passed)(name(text), ...rest),
    it: (text: string, ...rest: unknown[]) => (it.runIf(met) as Passed)(name(text), ...rest),
  };
}

const postgresUrl = process.env.HSP_TEST_DATABASE_URL;

/** Tests of PostgreSQL itself (replicas, its own errors): the integration-postgres project runs them. */
export const onPostgres = onlyIf(postgresUrl, 'needs PostgreSQL: set HSP_TEST_DATABASE_URL to run it in the integration-postgres project');

/** Tests of the embedded database (its files, its worker thread): the integration-pglite project runs them. */
export const onPGlite = onlyIf(!postgresUrl, 'embedded database only: the integration-pglite project runs it');

/**
 * Tests whose subject does not depend on the database (the README, the demo, examples that
 * start their own marketplace): they run once, in the integration-pglite project.
 */
export const onceOnPGlite = onlyIf(!postgresUrl, 'independent of the database: runs once, in the integration-pglite project');

/** File modes, signals, process groups, sockets: POSIX only. */
export const onPosix = onlyIf(process.platform !== 'win32', 'POSIX only (file modes, signals, process groups)');

/** Running as another user (or root's way past file modes). */
export const asRoot = onlyIf(process.getuid?.() === 0, 'needs root: it runs a process as another user');

/** Where the reference material lives: beside the repository, or HSP_SHARED_DIR. */
const sharedHint = 'put the shared/ folder beside the repository, or set HSP_SHARED_DIR';

/** The reference server's recorded exchanges. */
export const withCaptures = onlyIf(hasCaptures, `needs the reference server's recorded exchanges: ${sharedHint}`);

/** The specification's example manifests. */
export const withSpecExamples = onlyIf(existsSync(join(sharedDir, 'spec/examples')), `needs the specification's example manifests: ${sharedHint}`);
