/**
 * The loopback end of a browser sign-in (RFC 8252): an HTTP listener on 127.0.0.1 that the
 * marketplace redirects the browser to with `?jwt=<token>`. It also accepts `#jwt=` (a
 * fragment never reaches a server, so a tiny page reads it and posts it back), answers the
 * browser with a short "you can close this tab" page, and then stops accepting.
 *
 * The path carries a random value: another web page the user has open could otherwise send
 * the browser to this port with a token of its own choosing and sign the CLI in as someone
 * else (login CSRF).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackReceiver {
  /** Where the marketplace must send the browser back to. */
  redirectUri: string;
  /** The token, once the browser brought it; rejects when the sign-in failed. */
  token: Promise<string>;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  /** 0 or undefined: any free port. */
  port?: number;
}

/** The listener could not start, e.g. the pinned port is taken. */
export class LoopbackError extends Error {
  override name = 'LoopbackError';
}

const MAX_BODY = 16 * 1024;
/** A token as the marketplace issues them: printable, no spaces, not huge. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/;

export async function startLoopbackReceiver(options: LoopbackOptions = {}): Promise<LoopbackReceiver> {
  const secretPath = `/callback/${randomBytes(16).toString('base64url')}`;
  let settle!: { resolve: (token: string) => void; reject: (error: Error) => void };
  const token = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // The caller may stop waiting (pasted token, Ctrl-C) without ever reading this promise.
  token.catch(() => undefined);
  let done = false;
  const finish = (outcome: { token: string } | { error: Error }) => {
    if (done) return;
    done = true;
    if ('token' in outcome) settle.resolve(outcome.token);
    else settle.reject(outcome.error);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) page(res, 400, 'Sign-in failed', 'This request could not be read; return to the terminal.');
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== secretPath) return page(res, 404, 'Not found', 'Nothing here.');
    if (done) return page(res, 200, 'Already done', 'This sign-in is already finished; you can close this tab.');
    let params = url.searchParams;
    if (req.method === 'POST') params = new URLSearchParams(await readBody(req));
    else if (req.method !== 'GET') return page(res, 405, 'Not allowed', 'Only GET and POST here.');

    const jwt = params.get('jwt');
    const error = params.get('error_description') ?? params.get('error');
    if (jwt !== null) {
      if (!TOKEN.test(jwt)) return page(res, 400, 'Sign-in failed', 'The token in this address is malformed; return to the terminal.');
      page(res, 200, 'Signed in', 'hsp received your sign-in. You can close this tab and return to the terminal.');
      return finish({ token: jwt });
    }
    if (error !== null) {
      page(res, 400, 'Sign-in failed', 'The sign-in did not succeed; return to the terminal.');
      return finish({ error: new Error(`The browser sign-in failed: ${clean(error)}.`) });
    }
    if (req.method === 'POST') return page(res, 400, 'Sign-in failed', 'No token was posted.');
    return fragmentPage(res, secretPath);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new LoopbackError(
          error.code === 'EADDRINUSE'
            ? `Cannot receive the sign-in on 127.0.0.1:${options.port}: the port is in use; choose another --callback-port.`
            : `Cannot receive the sign-in on 127.0.0.1: ${error.message}.`,
        ),
      );
    });
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    redirectUri: `http://127.0.0.1:${port}${secretPath}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        // Browsers keep connections alive: without this, close() would wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const BASE_HEADERS = {
  'cache-control': 'no-store',
  // The address bar holds the token: never pass it on as a Referer.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function page(res: ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
  res.end(html(title, `<p id="message">${text}</p>`));
}

/** For `#jwt=`: the page posts its own fragment back, then says what happened. */
function fragmentPage(res: ServerResponse, path: string): void {
  const nonce = randomBytes(16).toString('base64');
  const script = `
const params = new URLSearchParams(location.hash.slice(1));
const message = document.getElementById('message');
history.replaceState(null, '', location.pathname);
if (params.has('jwt') || params.has('error')) {
  fetch(${JSON.stringify(path)}, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() })
    .then((r) => { message.textContent = r.ok ? 'hsp received your sign-in. You can close this tab and return to the terminal.' : 'The sign-in did not succeed; return to the terminal.'; })
    .catch(() => { message.textContent = 'hsp is no longer waiting; return to the terminal.'; });
} else {
  message.textContent = 'No sign-in arrived here; return to the terminal.';
}`;
  res.writeHead(200, {
    ...BASE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self'`,
  });
  res.end(html('Signing in', `<p id="message">Finishing sign-in…</p><script nonce="${nonce}">${script}</script>`));
}

function html(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hsp: ${title}</title></head><body style="font-family: system-ui, sans-serif; margin: 3em"><h1>${title}</h1>${body}</body></html>`;
}

/** A provider's error text as one short, printable sentence part. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().replace(/[.\s]+$/, '').slice(0, 200) || 'unknown error';
}
