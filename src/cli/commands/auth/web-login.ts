/**
 * `hsp login --web`: sign in through the marketplace's own browser flow. The user picks one of
 * the marketplace's identity providers; hsp listens on 127.0.0.1 and opens the browser at the
 * provider's redirect URL with `redirect_uri` pointing at that listener; the marketplace sends
 * the browser back with `?jwt=`.
 *
 * Servers that ignore `redirect_uri` (the reference server sends the browser to its own web UI,
 * which then shows the token) never come back: at a terminal, hsp then asks for the token, or
 * for the address of the page showing it. Without a terminal it gives up after a while and
 * names `--with-token`.
 */
import { startLoopbackReceiver } from '../../../auth/loopback.js';
import type { Marketplace } from '../../../index.js';
import type { CliContext } from '../../context.js';
import type { AuthDeps } from './deps.js';
import { chooseProvider } from './providers.js';
import { tokenFromPaste } from './token-input.js';

export interface WebLoginOptions {
  provider?: string;
  callbackPort?: number;
}

export async function webLogin(ctx: CliContext, client: Marketplace, options: WebLoginOptions, deps: AuthDeps): Promise<string> {
  const provider = await chooseProvider(ctx, client, options.provider, deps);
  const receiver = await startLoopbackReceiver({ port: options.callbackPort });
  const stop = new AbortController();
  try {
    const signInUrl = client.identityProviders.redirectUrl(provider.id, { redirectUri: receiver.redirectUri });
    const opened = await deps.openBrowser(signInUrl);
    // Written even with --json: without it nobody could finish signing in.
    ctx.io.stderr.write(
      opened
        ? `Opening ${provider.name} in your browser. If nothing opens, visit:\n  ${signInUrl}\n`
        : `Open this address in a browser to sign in with ${provider.name}:\n  ${signInUrl}\n`,
    );
    const fallback = ctx.interactive ? askForPaste(ctx, deps, stop.signal) : giveUpLater(deps.webTimeoutMs, stop.signal);
    return await Promise.race([receiver.token, fallback]);
  } finally {
    stop.abort();
    await receiver.close();
  }
}

/**
 * At a terminal: Enter (or a pasted line) or a timeout leads to a masked prompt for the token
 * or the address of the page that shows it. The browser coming back first aborts it all.
 * (Ctrl-D cannot be the signal: after end-of-file a terminal's stdin cannot be read again.)
 */
async function askForPaste(ctx: CliContext, deps: AuthDeps, signal: AbortSignal): Promise<string> {
  ctx.output.notice('Waiting for the browser. If the marketplace shows you a token instead, press Enter to paste it.');
  const typed = await enterOrTimeout(ctx, deps.pasteAfterMs, signal);
  if (signal.aborted) return new Promise<never>(() => undefined);
  if (typed) return tokenFromPaste(typed);
  const answer = await deps.prompts.secret('Paste the token, or the address of the page that shows it:', signal).catch((error: unknown) => {
    // The browser won the race: the prompt was aborted on purpose.
    if (signal.aborted) return new Promise<never>(() => undefined);
    throw error;
  });
  return tokenFromPaste(answer);
}

/** Resolves with a non-empty line typed before the timeout, or '' for Enter or the timeout. */
function enterOrTimeout(ctx: CliContext, ms: number, signal: AbortSignal): Promise<string> {
  const { stdin } = ctx.io;
  return new Promise<string>((resolve) => {
    let line = '';
    const done = (value: string) => {
      clearTimeout(timer);
      stdin.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      stdin.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      line += chunk.toString();
      if (line.includes('\n') || line.includes('\r')) done(line.trim());
    };
    const onAbort = () => done('');
    const timer = setTimeout(() => done(line.trim()), ms);
    stdin.on('data', onData);
    // A prompt before this one (the provider choice) leaves stdin paused: a listener alone would not read.
    stdin.resume();
    signal.addEventListener('abort', onAbort);
  });
}

/** Without a terminal nobody can paste: fail after a while, naming the way that works. */
function giveUpLater(ms: number, signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`The browser did not come back to hsp within ${duration(ms)}; if the marketplace showed you a token, pass it to hsp login --with-token instead.`));
    }, ms);
    signal.addEventListener('abort', () => clearTimeout(timer));
  });
}

function duration(ms: number): string {
  const [n, unit] = ms >= 60_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.max(1, Math.round(ms / 1000)), 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
