/**
 * Opening a URL in the user's browser: `HSP_BROWSER` when set, else the platform's opener
 * (`xdg-open`, `open`, or on Windows `rundll32 url.dll,FileProtocolHandler`, which, unlike
 * `start`, is a program and not a cmd.exe builtin, so no shell ever parses the URL's `&`s).
 * Always argv, never a shell. Resolves false when no browser could be opened, so the caller
 * prints the URL instead.
 */
import { spawn as nodeSpawn } from 'node:child_process';

export type Spawn = typeof nodeSpawn;

/** How long an opener may run before we take "still running" as "opened" (some never exit). */
const SETTLE_MS = 1_500;

export async function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env, spawn: Spawn = nodeSpawn): Promise<boolean> {
  const command = browserCommand(url, env);
  if (!command) return false;
  const [program, ...args] = command;
  return new Promise<boolean>((resolve) => {
    let child: ReturnType<Spawn>;
    try {
      child = spawn(program!, args, { stdio: 'ignore', detached: true, shell: false, windowsHide: true });
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, SETTLE_MS);
    timer.unref();
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** The argv that opens `url`, or `undefined` when this machine has nowhere to show it. */
export function browserCommand(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] | undefined {
  if (env.HSP_BROWSER) return [env.HSP_BROWSER, url];
  if (platform === 'darwin') return ['open', url];
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', url];
  // Without a display, xdg-open falls back to a text browser that takes over this terminal
  // (or fails): printing the URL is better, e.g. over SSH.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return ['xdg-open', url];
}
