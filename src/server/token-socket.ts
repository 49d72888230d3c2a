/**
 * `hsp serve token` while the server runs: the server listens on a Unix socket in its data
 * folder, DATA/server.sock, and hands a fresh administrator token to whoever connects. Who may
 * connect is who may enter the folder, which is private (./data-folder.ts): the folder's owner
 * (and root), the same people who can read the database and its signing key. Not on Windows,
 * where a named pipe is not scoped by a folder's permissions.
 *
 * The exchange is one line each way: `administrator-token\n`, then `{"token", "expires_at"}\n`
 * (or `{"error"}\n`).
 */
import { chmod, unlink } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

export const SOCKET_FILE = 'server.sock';
const REQUEST = 'administrator-token';
/** The longest socket path every Unix accepts (sun_path is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH_BYTES = 103;
/** A connection that says nothing useful in this time is closed. */
const IDLE_MS = 5_000;

export interface MintedToken {
  token: string;
  expiresAt: Date;
}

/** The socket's path for an (absolute) data folder, or `undefined` where there can be none. */
export function tokenSocketPath(dir: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const path = join(dir, SOCKET_FILE);
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES ? path : undefined;
}

/**
 * Listens for token requests; `undefined` when no socket can be made here (Windows, a path too
 * long, a file system without sockets): the server runs anyway, `hsp serve token` then asks
 * the user to stop it. Call only while holding the folder's lock: a socket file found there is
 * a crashed server's, and is replaced.
 */
export async function serveTokenRequests(dir: string, mint: () => Promise<MintedToken>): Promise<{ close(): Promise<void> } | undefined> {
  const path = tokenSocketPath(dir);
  if (!path) return undefined;
  const server = createServer((socket) => answer(socket, mint));
  server.maxConnections = 8;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen().catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      await unlink(path);
      await listen();
    });
    await chmod(path, 0o600);
  } catch {
    server.close();
    return undefined;
  }
  return {
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => {});
    },
  };
}

function answer(socket: Socket, mint: () => Promise<MintedToken>): void {
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on('error', () => {});
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
    const end = received.indexOf('\n');
    if (end < 0) {
      if (received.length > 64) socket.destroy(); // Not our client: nothing this long is asked.
      return;
    }
    socket.removeAllListeners('data');
    socket.pause();
    if (received.slice(0, end).trim() !== REQUEST) {
      socket.end(`${JSON.stringify({ error: 'Unknown request.' })}\n`);
      return;
    }
    mint().then(
      ({ token, expiresAt }) => socket.end(`${JSON.stringify({ token, expires_at: expiresAt.toISOString() })}\n`),
      // The cause stays here: it may name the database, and the client only needs to know.
      () => socket.end(`${JSON.stringify({ error: 'The server could not make a token.' })}\n`),
    );
  });
}

/**
 * Asks the server that holds the folder for a token. `undefined` when nobody answers on the
 * socket (an older server, no socket here); throws with the server's sentence when it refuses.
 */
export async function requestTokenFromServer(dir: string, timeoutMs = 15_000): Promise<MintedToken | undefined> {
  const path = tokenSocketPath(dir);
  if (!path) return undefined;
  const reply = await new Promise<string | undefined>((resolve) => {
    const socket = connect(path);
    let text = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${REQUEST}\n`));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 16_384) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text.endsWith('\n') ? text : undefined);
    });
  });
  if (reply === undefined) return undefined;
  let parsed: { token?: unknown; expires_at?: unknown; error?: unknown };
  try {
    parsed = JSON.parse(reply) as typeof parsed;
  } catch {
    return undefined;
  }
  if (typeof parsed.error === 'string') throw new Error(parsed.error);
  if (typeof parsed.token !== 'string' || typeof parsed.expires_at !== 'string') return undefined;
  return { token: parsed.token, expiresAt: new Date(parsed.expires_at) };
}
