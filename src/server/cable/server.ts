/**
 * ActionCable v1 over WebSocket at `/websocket` and `/cable`: the protocol of the reference
 * server, with what it lacks: authenticated subscriptions (only a platform's owner, an
 * administrator or that platform's agent may listen), answers to every subscribe, events
 * for instance updates and deletes, and limits, so that no client can make the server hold
 * more than a bounded amount for it:
 *
 * - subscriptions per connection (past the cap: `reject_subscription`);
 * - connections per client address and anonymous connections in total (past either: the
 *   upgrade is answered 429 or 503 with a sentence, and no socket is ever opened; the SDK
 *   treats that as a failed attempt and backs off, where a `disconnect` frame after a
 *   `welcome` would look like a connection that worked);
 * - bytes waiting to be written to one connection (a reader that does not keep up is closed,
 *   not buffered without bound: it reconnects and reconciles, as after any outage);
 * - frames a client sends (a burst, then a steady rate; past it the connection is closed).
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import { isIP } from 'node:net';
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
import { describeSize } from '../../size.js';
import { CHANNEL, toBroadcasts, type InstanceBroadcast } from './instance-events.js';

const PROTOCOL = 'actioncable-v1-json';
const PATHS = new Set(['/websocket', '/cable']);
/** A real identifier is about 80 characters; this leaves room for extra params, not for padding. */
const MAX_IDENTIFIER_LENGTH = 1024;
/** WebSocket close code "policy violation": what every limit closes with. */
const POLICY_VIOLATION = 1008;
/** How long a closed connection may take to say goodbye before its socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** Notifications looked up in one query at most: a burst's worth, with bounded parameters. */
const MAX_LOOKUP_BATCH = 500;
/** Seconds a refused client is asked to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = 10;

export const CABLE_LIMIT_DEFAULTS = {
  maxSubscriptionsPerConnection: 100,
  maxConnectionsPerAddress: 50,
  maxAnonymousConnections: 100,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxFramesPerSecond: 10,
  maxFrameBurst: 100,
} as const;

export interface CableServerOptions {
  pingIntervalMs?: number;
  /** Largest frame a client may send. */
  maxPayload?: number;
  /** How often open connections' credentials are checked again (default 30 s). */
  credentialCheckIntervalMs?: number;
  /** Subscriptions one connection may hold; more get `reject_subscription` (default 100). */
  maxSubscriptionsPerConnection?: number;
  /**
   * Connections (open or being opened) from one client address; more are answered 429
   * (default 50). IPv6 clients are counted by /64, the block one host usually holds.
   */
  maxConnectionsPerAddress?: number;
  /** Connections without credentials, from everyone together; more are answered 503 (default 100). */
  maxAnonymousConnections?: number;
  /** Bytes waiting to be written to one connection before it is closed as too slow (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Frames a client may send each second, after a burst of `maxFrameBurst` (default 10). */
  maxFramesPerSecond?: number;
  /** Frames a client may send at once, e.g. every subscribe after a reconnect (default 100). */
  maxFrameBurst?: number;
  /**
   * Count a client by the last `X-Forwarded-For` address (the one the proxy in front of this
   * server appended) instead of the socket's. Only behind such a proxy: anyone can send the
   * header, so by default (false) it is ignored and the socket address is used.
   */
  trustForwardedFor?: boolean;
}

type Limits = Required<Pick<CableServerOptions, keyof typeof CABLE_LIMIT_DEFAULTS>>;

interface Subscription {
  connection: Connection;
  /** The identifier as the client sent it, already a JSON string literal, ready to splice into frames. */
  identifierJson: string;
  platformId: string;
}

interface Connection {
  socket: WebSocket;
  caller: Caller;
  /** canonical identifier (keys sorted) → subscription: one identifier subscribed twice is one subscription. */
  subscriptions: Map<string, Subscription>;
  /** Whether the credentials the socket was opened with still hold (see `credentialCheck`). */
  stillAuthorised: () => Promise<boolean>;
  /** Commands run one after the other, in the order sent, as ActionCable runs them. */
  commands: Promise<void>;
  /** Token bucket of frames the client may still send. */
  frameAllowance: number;
  refilledAt: number;
  closing: boolean;
}

export class CableServer {
  private readonly wss: WebSocketServer;
  private readonly limits: Limits;
  private readonly trustForwardedFor: boolean;
  private readonly connections = new Set<Connection>();
  /** platform id → its subscriptions, so an event visits only its listeners. */
  private readonly byPlatform = new Map<string, Set<Subscription>>();
  /** client address → connections open or being opened from it. */
  private readonly perAddress = new Map<string, number>();
  private anonymous = 0;
  private readonly pinger: NodeJS.Timeout;
  private readonly credentialChecker: NodeJS.Timeout;
  private unlisten: (() => Promise<void>) | undefined;
  private deliveries = Promise.resolve();
  /** Notifications waiting for their lookup (`enqueue`), and whether one runs. */
  private readonly pending: string[] = [];
  private lookingUp = false;

  constructor(
    private readonly context: ServerContext,
    options: CableServerOptions = {},
  ) {
    this.limits = { ...CABLE_LIMIT_DEFAULTS };
    for (const name of Object.keys(CABLE_LIMIT_DEFAULTS) as (keyof Limits)[]) {
      const value = options[name];
      if (value === undefined) continue;
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1, got ${String(value)}.`);
      this.limits[name] = value;
    }
    this.trustForwardedFor = options.trustForwardedFor ?? false;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload ?? 64 * 1024,
      handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
    });
    const interval = options.pingIntervalMs ?? 3_000;
    this.pinger = setInterval(() => this.broadcastAll(JSON.stringify({ type: 'ping', message: Math.floor(Date.now() / 1000) })), interval);
    this.pinger.unref();
    this.credentialChecker = setInterval(() => void this.checkCredentials(), options.credentialCheckIntervalMs ?? 30_000);
    this.credentialChecker.unref();
  }

  /** Takes over WebSocket upgrades on the HTTP server and starts listening for events. */
  async attach(server: Server): Promise<void> {
    server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    this.unlisten = await this.context.db.listen(CHANNEL, (payload) => this.enqueue(payload));
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    clearInterval(this.credentialChecker);
    await this.unlisten?.();
    // Every socket, those already being closed included: `wss.close` waits for them all.
    for (const socket of this.wss.clients) socket.terminate();
    this.connections.clear();
    this.byPlatform.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!PATHS.has(url.pathname)) return refuse(socket, 404, 'No WebSocket here; use /websocket.');
    // The header, or `?jwt=` for clients that cannot set headers (browsers, the reference clients).
    const jwt = url.searchParams.get('jwt');
    const header = req.headers.authorization ?? (jwt ? `Bearer ${jwt}` : undefined);
    const anonymous = header === undefined;

    // Counted from the first byte, not once authenticated: otherwise a burst of handshakes
    // would all pass the check while their tokens are being verified.
    const address = this.addressOf(req);
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.maxConnectionsPerAddress) {
      return refuse(socket, 429, `Too many event-stream connections from this address (at most ${this.limits.maxConnectionsPerAddress}); close some or try again later.`);
    }
    if (anonymous && this.anonymous >= this.limits.maxAnonymousConnections) {
      return refuse(socket, 503, `Too many anonymous event-stream connections (at most ${this.limits.maxAnonymousConnections}); sign in, or try again later.`);
    }
    this.perAddress.set(address, fromAddress + 1);
    if (anonymous) this.anonymous++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
      if (anonymous) this.anonymous--;
    };
    // However it ends (refused, a bad handshake, closed by either side), the TCP socket closes.
    socket.once('close', release);

    let caller: Caller;
    try {
      caller = await authenticate(header, { db: this.context.db, secret: this.context.secret, verifyProviderToken: this.context.verifyProviderToken });
    } catch (error) {
      release();
      return refuse(socket, error instanceof HttpError ? error.status : 401, error instanceof HttpError ? error.message : 'Not signed in.');
    }
    if (socket.destroyed) return release();
    const stillAuthorised = this.credentialCheck(caller, header);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, caller, stillAuthorised));
  }

  /**
   * Whom a connection is counted against. The socket's address unless told otherwise: the
   * HTTP app trusts proxies for logging, but a forged `X-Forwarded-For` must not let one client
   * pose as many (or fill another's quota).
   */
  private addressOf(req: IncomingMessage): string {
    let address = req.socket.remoteAddress ?? 'unknown';
    if (this.trustForwardedFor) {
      const forwarded = req.headers['x-forwarded-for'];
      const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').pop()?.trim();
      if (last && isIP(last)) address = last;
    }
    return addressKey(address);
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
    for (const connection of [...this.connections]) {
      if (connection.closing || (await connection.stillAuthorised())) continue;
      this.send(connection, JSON.stringify({ type: 'disconnect', reason: 'unauthorized', reconnect: false }));
      this.drop(connection);
    }
  }

  private open(socket: WebSocket, caller: Caller, stillAuthorised: () => Promise<boolean>): void {
    const connection: Connection = {
      socket,
      caller,
      subscriptions: new Map(),
      stillAuthorised,
      commands: Promise.resolve(),
      frameAllowance: this.limits.maxFrameBurst,
      refilledAt: Date.now(),
      closing: false,
    };
    this.connections.add(connection);
    socket.on('close', () => this.forget(connection));
    socket.on('error', () => socket.terminate());
    socket.on('message', (data) => {
      if (!this.admitFrame(connection)) return;
      const text = String(data);
      connection.commands = connection.commands.then(() => this.command(connection, text)).catch(() => {});
    });
    // Each ping costs a pong the client may never read: it counts as a frame too.
    socket.on('ping', () => this.admitFrame(connection));
    this.send(connection, JSON.stringify({ type: 'welcome' }));
  }

  /**
   * Token bucket: `maxFrameBurst` frames at once, refilled at `maxFramesPerSecond`. A client
   * past it is closed: every subscribe may cost a database query, and a flood would queue
   * them without end.
   */
  private admitFrame(connection: Connection): boolean {
    if (connection.closing) return false;
    const now = Date.now();
    const { maxFrameBurst, maxFramesPerSecond } = this.limits;
    connection.frameAllowance = Math.min(maxFrameBurst, connection.frameAllowance + ((now - connection.refilledAt) * maxFramesPerSecond) / 1000);
    connection.refilledAt = now;
    if (connection.frameAllowance >= 1) {
      connection.frameAllowance--;
      return true;
    }
    this.drop(connection, POLICY_VIOLATION, `More than ${maxFrameBurst} frames at once or ${maxFramesPerSecond} a second.`);
    return false;
  }

  private async command(connection: Connection, text: string): Promise<void> {
    if (connection.closing) return;
    let frame: { command?: unknown; identifier?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame?.identifier !== 'string') return;
    const identifier = frame.identifier;
    const parsed = parseIdentifier(identifier);
    if (frame.command === 'unsubscribe') {
      if (parsed) this.unsubscribe(connection, parsed.key);
      return;
    }
    if (frame.command !== 'subscribe') return;
    const reject = (reason?: string) => this.send(connection, JSON.stringify({ identifier, type: 'reject_subscription', ...(reason ? { reason } : {}) }));
    const confirm = () => this.send(connection, JSON.stringify({ identifier, type: 'confirm_subscription' }));
    if (!parsed) return reject();
    // Subscribed already (perhaps spelt differently): confirmed again, as ActionCable does,
    // but neither counted nor sent each event twice.
    if (connection.subscriptions.has(parsed.key)) return confirm();
    const max = this.limits.maxSubscriptionsPerConnection;
    if (connection.subscriptions.size >= max) return reject(`This connection already holds ${max} subscriptions, the most allowed.`);
    const platformId = await this.authorise(connection.caller, parsed).catch(() => undefined);
    if (connection.closing) return;
    if (!platformId) return reject();
    const subscription: Subscription = { connection, identifierJson: JSON.stringify(identifier), platformId };
    connection.subscriptions.set(parsed.key, subscription);
    let listeners = this.byPlatform.get(platformId);
    if (!listeners) this.byPlatform.set(platformId, (listeners = new Set()));
    listeners.add(subscription);
    confirm();
  }

  private unsubscribe(connection: Connection, key: string): void {
    const subscription = connection.subscriptions.get(key);
    if (!subscription) return;
    connection.subscriptions.delete(key);
    const listeners = this.byPlatform.get(subscription.platformId);
    listeners?.delete(subscription);
    if (listeners?.size === 0) this.byPlatform.delete(subscription.platformId);
  }

  /** The platform id when this caller may listen to it; otherwise undefined (→ reject). */
  private async authorise(caller: Caller, identifier: ParsedIdentifier): Promise<string | undefined> {
    const { channel, platformId: requested } = identifier;
    if (channel !== 'PlatformChannel' || typeof requested !== 'string' || !UUID_PATTERN.test(requested)) return undefined;
    const platformId = requested.toLowerCase();
    if (!caller.user) return undefined;
    // An agent token listens to its own platform only, whatever its owner may see.
    if (caller.platformId) return caller.platformId === platformId ? platformId : undefined;
    const { rows } = await this.context.db.query<{ user_id: string }>('SELECT user_id FROM platforms WHERE id = $1', [platformId]);
    const platform = rows[0];
    if (!platform) return undefined;
    const allowed = platform.user_id === caller.user.id || can(caller.permissions, 'platforms', 'read');
    return allowed ? platformId : undefined;
  }

  /**
   * Notifications are looked up in batches, one lookup at a time: those that arrive while one
   * runs wait for the next, which takes them all in one query. An event on its own costs one
   * query, as before; a burst costs one per batch instead of one per event, which matters on
   * the embedded database, where every statement waits its turn behind the requests' own.
   * No cache: every event shows the build and platform as they are when it is looked up, on
   * every replica alike.
   *
   * Delivered in the order they came, with a turn of the event loop between two deliveries: a
   * burst of events is then written out as readers take it, instead of piling up in every
   * socket's buffer before the first byte leaves (which would make fast readers look as slow
   * as stalled ones).
   */
  private enqueue(payload: string): void {
    this.pending.push(payload);
    if (!this.lookingUp) void this.lookUp();
  }

  private async lookUp(): Promise<void> {
    this.lookingUp = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_LOOKUP_BATCH);
        const ready = toBroadcasts(this.context.db, batch).catch(() => []);
        this.deliveries = this.deliveries.then(async () => {
          for (const broadcast of await ready) {
            if (broadcast) this.deliver(broadcast);
            await new Promise((resolve) => setImmediate(resolve));
          }
        });
        await ready;
      }
    } finally {
      this.lookingUp = false;
    }
  }

  private deliver(broadcast: InstanceBroadcast): void {
    const listeners = this.byPlatform.get(broadcast.platformId);
    if (!listeners) return;
    // Serialised once, whatever the number of listeners; only the identifier differs.
    const message = JSON.stringify(broadcast.message);
    for (const { connection, identifierJson } of [...listeners]) this.send(connection, `{"identifier":${identifierJson},"message":${message}}`);
  }

  private broadcastAll(frame: string): void {
    for (const connection of [...this.connections]) this.send(connection, frame);
  }

  /**
   * Every frame to a client goes through here. A client that has let more than
   * `maxBufferedBytes` pile up unread is not keeping up: it is closed rather than buffered
   * for without bound (it reconnects and reconciles, as after any outage).
   */
  private send(connection: Connection, frame: string): void {
    const socket = connection.socket;
    if (connection.closing || socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.limits.maxBufferedBytes) {
      return this.drop(connection, POLICY_VIOLATION, `Too slow: over ${describeSize(this.limits.maxBufferedBytes)} were waiting to be read.`);
    }
    socket.send(frame);
  }

  /**
   * Ends a connection: it gets no more frames, and its socket is destroyed if the close
   * handshake does not finish soon (a reader that stopped reading never sees the close frame).
   */
  private drop(connection: Connection, code?: number, reason?: string): void {
    if (connection.closing) return;
    this.forget(connection);
    const socket = connection.socket;
    socket.close(code, reason);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  private forget(connection: Connection): void {
    connection.closing = true;
    this.connections.delete(connection);
    for (const key of [...connection.subscriptions.keys()]) this.unsubscribe(connection, key);
  }
}

interface ParsedIdentifier {
  /** The identifier's value with its keys sorted: the same subscription however it is spelt. */
  key: string;
  channel: unknown;
  platformId: unknown;
}

/** An identifier is a JSON object in a string; anything else (or anything huge) is not one. */
function parseIdentifier(identifier: string): ParsedIdentifier | undefined {
  if (identifier.length > MAX_IDENTIFIER_LENGTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(identifier);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const key = JSON.stringify(Object.keys(record).sort().map((name) => [name, record[name]]));
  return { key, channel: record.channel, platformId: record.platform_id };
}

/**
 * The key a client address is counted under: IPv4 as is (also when mapped into IPv6), IPv6
 * by its /64, since one host is usually given a whole /64 and could otherwise pose as
 * billions of clients.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const plain = address.split('%')[0]!;
  if (isIP(plain) !== 6) return address;
  const halves = plain.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  // An embedded IPv4 tail (`64:ff9b::1.2.3.4`) fills two groups.
  const width = (parts: string[]) => parts.reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const zeros = halves.length > 1 ? Array<string>(8 - width(left) - width(right)).fill('0') : [];
  const prefix = [...left, ...zeros, ...right].slice(0, 4).map((group) => (group.includes('.') ? group : parseInt(group, 16).toString(16)));
  return `${prefix.join(':')}::/64`;
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ status, error: STATUS_CODES[status] ?? 'Error', message });
  // Asked to come back later, not at once: the SDK backs off anyway, other clients may not.
  const retryAfter = status === 429 || status === 503 ? `retry-after: ${RETRY_AFTER_SECONDS}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${retryAfter}connection: close\r\n\r\n${body}`,
  );
}
