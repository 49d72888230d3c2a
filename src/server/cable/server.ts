/**
 * ActionCable v1 over WebSocket at `/websocket` and `/cable`: the protocol of the reference
 * server, with what it lacks: authenticated subscriptions (only a platform's owner, an
 * administrator or that platform's agent may listen), answers to every subscribe, and events
 * for instance updates and deletes.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticateAgent } from '../auth/agent-tokens.js';
import { authenticate } from '../auth/authenticate.js';
import type { Caller } from '../auth/caller.js';
import { can } from '../auth/permissions.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { UUID_PATTERN } from '../resources/definition.js';
import { CHANNEL, toBroadcast } from './instance-events.js';

const PROTOCOL = 'actioncable-v1-json';
const PATHS = new Set(['/websocket', '/cable']);

interface Connection {
  socket: WebSocket;
  caller: Caller;
  /** identifier string (as the client sent it) → platform id */
  platforms: Map<string, string>;
  /** Whether the credentials the socket was opened with still hold (see `credentialCheck`). */
  stillAuthorised: () => Promise<boolean>;
}

export interface CableServerOptions {
  pingIntervalMs?: number;
  /** Largest frame a client may send. */
  maxPayload?: number;
  /** How often open connections' credentials are checked again (default 30 s). */
  credentialCheckIntervalMs?: number;
}

export class CableServer {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly pinger: NodeJS.Timeout;
  private readonly credentialChecker: NodeJS.Timeout;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly context: ServerContext,
    options: CableServerOptions = {},
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload ?? 64 * 1024,
      handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
    });
    const interval = options.pingIntervalMs ?? 3_000;
    this.pinger = setInterval(() => this.broadcastAll({ type: 'ping', message: Math.floor(Date.now() / 1000) }), interval);
    this.pinger.unref();
    this.credentialChecker = setInterval(() => void this.checkCredentials(), options.credentialCheckIntervalMs ?? 30_000);
    this.credentialChecker.unref();
  }

  /** Takes over WebSocket upgrades on the HTTP server and starts listening for events. */
  async attach(server: Server): Promise<void> {
    server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    this.unlisten = await this.context.db.listen(CHANNEL, (payload) => void this.deliver(payload));
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    clearInterval(this.credentialChecker);
    await this.unlisten?.();
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!PATHS.has(url.pathname)) return refuse(socket, 404, 'No WebSocket here; use /websocket.');
    let caller: Caller;
    // The header, or `?jwt=` for clients that cannot set headers (browsers, the reference clients).
    const jwt = url.searchParams.get('jwt');
    const header = req.headers.authorization ?? (jwt ? `Bearer ${jwt}` : undefined);
    try {
      caller = await authenticate(header, { db: this.context.db, secret: this.context.secret, verifyProviderToken: this.context.verifyProviderToken });
    } catch (error) {
      return refuse(socket, error instanceof HttpError ? error.status : 401, error instanceof HttpError ? error.message : 'Not signed in.');
    }
    const stillAuthorised = this.credentialCheck(caller, header);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, caller, stillAuthorised));
  }

  /**
   * A socket outlives the token it was opened with, so its credentials are checked again from
   * time to time: revoking them must end the subscription too, not only REST calls. Revoked
   * means: an agent's platform key replaced or cleared, a marketplace token signed out
   * (`DELETE /sessions`, its row gone), or the user deleted. Expiry is judged as of the
   * connection's start: a long-lived socket is normal, a revoked credential is not.
   */
  private credentialCheck(caller: Caller, header: string | undefined): () => Promise<boolean> {
    const db = this.context.db;
    // In both branches a refusal ends the connection; a database hiccup does not.
    if (caller.platformId) {
      const token = header!.replace(/^Bearer\s+/i, '').trim();
      const claims = decodeJwt(token);
      const connectedAt = Date.now();
      return () => authenticateAgent(db, token, claims, () => connectedAt).then(() => true, (error) => !(error instanceof HttpError));
    }
    // A marketplace token lives as long as its row; a provider's token as long as its user.
    const [sql, id] = caller.tokenId
      ? ['SELECT 1 FROM json_web_tokens WHERE id = $1', caller.tokenId]
      : caller.user
        ? ['SELECT 1 FROM users WHERE id = $1', caller.user.id]
        : [];
    if (!sql) return async () => true;
    return () => db.query(sql, [id]).then(({ rows }) => rows.length > 0, () => true);
  }

  private async checkCredentials(): Promise<void> {
    for (const connection of this.connections) {
      if (await connection.stillAuthorised()) continue;
      send(connection.socket, { type: 'disconnect', reason: 'unauthorized', reconnect: false });
      connection.socket.close();
      this.connections.delete(connection);
    }
  }

  private open(socket: WebSocket, caller: Caller, stillAuthorised: () => Promise<boolean>): void {
    const connection: Connection = { socket, caller, platforms: new Map(), stillAuthorised };
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    socket.on('error', () => socket.terminate());
    socket.on('message', (data) => void this.command(connection, String(data)));
    send(socket, { type: 'welcome' });
  }

  private async command(connection: Connection, text: string): Promise<void> {
    let frame: { command?: unknown; identifier?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame?.identifier !== 'string') return;
    const identifier = frame.identifier;
    if (frame.command === 'unsubscribe') {
      connection.platforms.delete(identifier);
      return;
    }
    if (frame.command !== 'subscribe') return;
    const platformId = await this.authorise(connection.caller, identifier);
    if (!platformId) return send(connection.socket, { identifier, type: 'reject_subscription' });
    connection.platforms.set(identifier, platformId);
    send(connection.socket, { identifier, type: 'confirm_subscription' });
  }

  /** The platform id when this caller may listen to it; otherwise undefined (→ reject). */
  private async authorise(caller: Caller, identifier: string): Promise<string | undefined> {
    let parsed: { channel?: unknown; platform_id?: unknown };
    try {
      parsed = JSON.parse(identifier) as typeof parsed;
    } catch {
      return undefined;
    }
    if (parsed?.channel !== 'PlatformChannel' || typeof parsed.platform_id !== 'string' || !UUID_PATTERN.test(parsed.platform_id)) return undefined;
    const platformId = parsed.platform_id.toLowerCase();
    if (!caller.user) return undefined;
    // An agent token listens to its own platform only, whatever its owner may see.
    if (caller.platformId) return caller.platformId === platformId ? platformId : undefined;
    const { rows } = await this.context.db.query<{ user_id: string }>('SELECT user_id FROM platforms WHERE id = $1', [platformId]);
    const platform = rows[0];
    if (!platform) return undefined;
    const allowed = platform.user_id === caller.user.id || caller.platformId === platformId || can(caller.permissions, 'platforms', 'read');
    return allowed ? platformId : undefined;
  }

  private async deliver(payload: string): Promise<void> {
    const broadcast = await toBroadcast(this.context.db, payload).catch(() => undefined);
    if (!broadcast) return;
    for (const connection of this.connections) {
      for (const [identifier, platformId] of connection.platforms) {
        if (platformId === broadcast.platformId) send(connection.socket, { identifier, message: broadcast.message });
      }
    }
  }

  private broadcastAll(frame: object): void {
    for (const connection of this.connections) send(connection.socket, frame);
  }
}

function send(socket: WebSocket, frame: object): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ status, message });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
