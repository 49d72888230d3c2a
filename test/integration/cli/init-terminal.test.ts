/**
 * `hsp init` at a real terminal: the built bin/hsp runs under a pseudo-terminal made by
 * util-linux `script`, and the test types answers as a person would, each one only once its
 * question is on the screen. This is what the prompt seam of the unit tests cannot show: that
 * inquirer really draws on a terminal, takes keystrokes, refuses a bad answer until it is
 * corrected, and that Ctrl+C leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/manifest/load.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'hsp');
const scratch = mkdtempSync(join(tmpdir(), 'hsp-init-terminal-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ENTER = '\r';
const CTRL_C = '\x03';
const BACKSPACE = '\x7f';

/** What a person sees: the output without colours and cursor movements. */
// eslint-disable-next-line no-control-regex -- escape sequences are what is removed
const visible = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** A command running under a pseudo-terminal, with a keyboard and a view of its screen. */
function terminal(args: string[], extraEnv: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: scratch, TERM: 'xterm-256color', COLUMNS: '120', LINES: '40' };
  for (const name of ['CI', 'GITHUB_ACTIONS', 'HSP_URL', 'HSP_TOKEN', 'HSP_NON_INTERACTIVE', 'NO_COLOR']) delete env[name];
  Object.assign(env, extraEnv);
  // `script` runs its argument through a shell: every word is quoted.
  const command = [process.execPath, bin, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let seen = 0;
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    for (const check of waiters) check();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  return {
    exited,
    screen: () => visible(screen),
    /** Resolves once `text` appears after whatever the previous wait found. */
    waitFor(text: string, timeoutMs = 15_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`"${text}" did not appear; the screen shows:\n${visible(screen.slice(seen))}`));
        }, timeoutMs);
        function check() {
          const at = visible(screen).indexOf(text, seen);
          if (at < 0) return;
          seen = at + text.length;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
        waiters.add(check);
        check();
      });
    },
    type(keys: string): void {
      child.stdin.write(keys);
    },
    kill: () => child.kill('SIGKILL'),
  };
}

describe('hsp init at a terminal', { timeout: 60_000 }, () => {
  it('asks each question, refuses a bad answer until it is corrected, and writes a manifest that loads', async () => {
    const dir = join(scratch, 'growth-chart');
    const term = terminal(['init', dir]);
    try {
      const answer = async (question: string, keys: string) => {
        await term.waitFor(question);
        term.type(keys);
      };
      await answer('Product name:', `Growth Chart${ENTER}`);
      await answer('Description (optional):', `Charts a child's growth.${ENTER}`);
      await answer('MIME type', `application/smart.v1${ENTER}`);
      await answer('Container image', `Not An Image!${ENTER}`);
      await term.waitFor('This ');
      // Rub the bad answer out, as a person would, and give a good one.
      term.type(BACKSPACE.repeat('Not An Image!'.length) + `ghcr.io/acme/growth-chart:1.0.0${ENTER}`);
      await answer('Version of the first build:', ENTER); // the default, 0.1.0
      await answer('Licence name (optional):', `Apache 2.0${ENTER}`);
      await answer('Licence URL:', `https://www.apache.org/licenses/LICENSE-2.0${ENTER}`);
      await answer("Folder shipped as the build's asset (optional):", ENTER);
      await term.waitFor('Wrote ');
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(term.screen()).not.toMatch(/\n\s+at /); // no stack trace

    const { manifest } = await loadManifest(join(dir, 'hsp.yaml'));
    expect(manifest.product).toMatchObject({ name: 'Growth Chart', description: "Charts a child's growth.", mimeType: 'application/smart.v1', licenses: [{ name: 'Apache 2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' }] });
    expect(manifest.build).toMatchObject({ version: '0.1.0', image: { repository: 'ghcr.io/acme/growth-chart', tag: '1.0.0' } });
  });

  it('Ctrl+C at a question: "Cancelled.", exit code 130 (interrupted), and no file', async () => {
    const dir = join(scratch, 'cancelled');
    const term = terminal(['init', dir]);
    try {
      await term.waitFor('Product name:');
      term.type(`Half a na${CTRL_C}`);
      await term.waitFor('Cancelled.');
      expect(await term.exited).toBe(130);
    } finally {
      term.kill();
    }
    expect(term.screen()).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'hsp.yaml'))).toBe(false);
  });

  it('HSP_NON_INTERACTIVE: a harness with a pseudo-terminal gets no question, but the flag to pass', async () => {
    const dir = join(scratch, 'harnessed');
    const term = terminal(['init', dir], { HSP_NON_INTERACTIVE: '1' });
    try {
      await term.waitFor('--name is required when hsp init cannot ask (no terminal, or --no-interactive).');
      expect(await term.exited).toBe(2);
    } finally {
      term.kill();
    }
    expect(term.screen()).not.toContain('Product name:');
    expect(existsSync(join(dir, 'hsp.yaml'))).toBe(false);
  });
});
