/**
 * The built bin/hsp in a child process, as users run it (`npm test` builds dist/ before vitest
 * runs), for what only a real process shows: exit codes and signals, what reaches stdout and
 * stderr, the umask, locks left by a SIGKILL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repoRoot, 'bin', 'hsp');

/** Variables `hsp serve` reads: left out of the child's environment, so the machine running the tests cannot choose its port, host or database. */
const SERVE_VARIABLES = ['PORT', 'HOST', 'DATABASE_URL', 'HSP_DATA_DIR', 'MARKETPLACE_SECRET_KEY_BASE', 'HSP_TEST_DATABASE_URL'];

export interface HspExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface HspProcessOptions {
  /** Added to the child's environment (after the variables `hsp serve` reads are taken out). */
  env?: Record<string, string>;
  /** Runs the child as this user and group (the tests must run as root). */
  uid?: number;
  gid?: number;
}

export type HspProcess = ReturnType<typeof spawnHsp>;

/** Starts `hsp …`; `output()` has everything printed so far, `exited` resolves at the end. */
export function spawnHsp(args: string[], options: HspProcessOptions = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVE_VARIABLES) delete env[name];
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env, uid: options.uid, gid: options.gid, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<HspExit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /** Resolves when stdout matches, rejects if the process ends first. */
    async waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
      for (;;) {
        const match = stdout.match(pattern);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`hsp exited before printing ${pattern}:\n${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
