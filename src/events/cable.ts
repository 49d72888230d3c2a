/**
 * An ActionCable v1 client over `ws`: the protocol of the reference server's `/websocket` and of
 * `hsp serve`. It keeps itself alive: a ping watchdog notices dead connections, reconnects use
 * full-jitter exponential backoff, and every subscription is renewed after a reconnect.
 *
 * Frames (JSON text): server → `{"type":"welcome"}`, `{"type":"ping","message":<unix s>}`,
 * `{"identifier":"<json>","type":"confirm_subscription"|"reject_subscription"}`,
 * `{"type":"disconnect","reason":…,"reconnect":bool}`, broadcasts `{"identifier":"<json>","message":{…}}`;
 * client → `{"command":"subscribe"|"unsubscribe","identifier":"<json string>"}`.
 */
import { EventEmitter } from 'node:events';
import type { Agent, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { nodeVersion, randomInt } from '../runtime.js';
import { VERSION } from '../version.js';
import { SubscriptionRejectedError, SubscriptionTimeoutError } from './errors.js';
import { proxyFor } from './proxy.js';

export const PROTOCOL = 'actioncable-v1-json';

export interface CableOptions {
  /** `ws://host/websocket` (or `http(s)://…`, converted). */
  url: string;
  /** Called before every (re)connection: sent as `Authorization: Bearer` and as `?jwt=` (the reference server reads only the query). */
  token?: () => Promise<string | undefined> | string | undefined;
  /** Sent as `Origin`; defaults to the server's own origin. */
  origin?: string;
  /** The server's ping interval; the watchdog declares the connection dead after two without a frame. */
  pingIntervalMs?: number;
  /** How long to wait for `confirm_subscription` or `reject_subscription`. */
  subscribeTimeoutMs?: number;
  /** Reconnect backoff: first ceiling, cap, and how long a connection must last to reset it. */
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /** Largest frame accepted, in bytes. */
  maxPayload?: number;
  /** Explicit agent (tests); otherwise the environment's proxy, if any. */
  agent?: Agent;
}

export type Identifier = Record<string, unknown>;

export interface SubscriptionHandlers {
  message(message: unknown): void;
  /** Confirmed: after the first subscribe and after every reconnect. */
  confirmed?(): void;
  /** Rejected or never answered; the subscription is dropped. */
  failed?(error: Error): void;
}

interface Subscription {
  identifier: Identifier;
  /** The identifier string as sent; the server echoes it, but we match by parsed value. */
  key: string;
  handlers: SubscriptionHandlers;
  timer?: NodeJS.Timeout;
}

export interface CableEvents {
  connected: [];
  disconnected: [reason: string];
  error: [error: Error];
}

export class CableConnection extends EventEmitter<CableEvents> {
  private readonly url: URL;
  private readonly options: CableOptions;
  private readonly subscriptions = new Map<string, Subscription>();
  private socket: WebSocket | undefined;
  private closed = false;
  private attempt = 0;
  private connectedAt = 0;
  /** A refusal's `Retry-After`: the next reconnect waits at least this long (within the backoff cap). */
  private retryAfterMs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private welcomed = false;

  constructor(options: CableOptions) {
    super();
    this.options = options;
    this.url = new URL(options.url.replace(/^http/, 'ws'));
    // Errors are reported, never thrown: an 'error' event with no listener would crash the process.
    this.on('error', () => {});
    void this.connect();
  }

  /** Subscribes now, and again after every reconnect, until `unsubscribe` or `close`. */
  subscribe(identifier: Identifier, handlers: SubscriptionHandlers): () => void {
    const key = canonical(identifier);
    const subscription: Subscription = { identifier, key, handlers };
    this.subscriptions.set(key, subscription);
    if (this.welcomed) this.sendSubscribe(subscription);
    return () => {
      clearTimeout(subscription.timer);
      if (this.subscriptions.get(key) !== subscription) return;
      this.subscriptions.delete(key);
      this.send({ command: 'unsubscribe', identifier: JSON.stringify(identifier) });
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.watchdog);
    for (const subscription of this.subscriptions.values()) clearTimeout(subscription.timer);
    this.subscriptions.clear();
    this.socket?.close(1000);
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => {});
    this.socket = undefined;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let token: string | undefined;
    try {
      token = await this.options.token?.();
    } catch (error) {
      this.emit('error', error as Error);
      this.scheduleReconnect('could not obtain a token');
      return;
    }
    if (this.closed) return;
    const url = new URL(this.url.href);
    if (token) url.searchParams.set('jwt', token);
    const proxy = this.options.agent ? undefined : proxyFor(url);
    const agent = this.options.agent ?? (proxy ? new (await import('https-proxy-agent')).HttpsProxyAgent(proxy) : undefined);
    if (this.closed) return;

    const socket = new WebSocket(url, [PROTOCOL], {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'user-agent': `hsp/${VERSION} node/${nodeVersion}` },
      origin: this.options.origin ?? `${this.url.protocol === 'wss:' ? 'https' : 'http'}://${this.url.host}`,
      handshakeTimeout: 10_000,
      maxPayload: this.options.maxPayload ?? 1024 * 1024,
      agent,
    });
    this.socket = socket;
    this.welcomed = false;
    this.armWatchdog();

    socket.on('message', (data) => this.onFrame(String(data)));
    socket.on('ping', () => this.armWatchdog());
    socket.on('unexpected-response', (_req, res) => {
      socket.removeAllListeners('close');
      socket.on('error', () => {});
      void refusalMessage(res).then((message) => {
        socket.terminate();
        const refused = res.statusCode === 401 || res.statusCode === 403;
        const reason = `the server answered HTTP ${res.statusCode} instead of opening a WebSocket${refused ? ': the token was refused' : ''}${message ? ` (${message})` : ''}`;
        // A server at its connection limit says when to come back; coming sooner only adds load.
        this.retryAfterMs = retryAfterMs(res.headers['retry-after']);
        this.emit('error', new Error(`Could not open the event stream: ${reason}.`));
        this.lost(reason);
      });
    });
    socket.on('error', (error) => this.emit('error', error));
    socket.on('close', (code, reason) => this.lost(reason.length ? String(reason) : `closed (${code})`));
  }

  private onFrame(text: string): void {
    this.armWatchdog();
    let frame: { type?: string; identifier?: unknown; message?: unknown; reason?: unknown; reconnect?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return; // Not ActionCable: ignore rather than die.
    }
    if (!frame || typeof frame !== 'object') return;
    switch (frame.type) {
      case 'welcome':
        this.welcomed = true;
        this.connectedAt = Date.now();
        this.emit('connected');
        for (const subscription of this.subscriptions.values()) this.sendSubscribe(subscription);
        return;
      case 'ping':
        return;
      case 'disconnect':
        // `reconnect: false` means "do not come back with these credentials".
        if (frame.reconnect === false) {
          this.emit('error', new SubscriptionRejectedError(`The server closed the event stream: ${String(frame.reason ?? 'no reason given')}.`));
        }
        this.socket?.close(1000);
        return;
      case 'confirm_subscription':
      case 'reject_subscription': {
        const subscription = this.find(frame.identifier);
        if (!subscription) return;
        clearTimeout(subscription.timer);
        if (frame.type === 'confirm_subscription') subscription.handlers.confirmed?.();
        else {
          this.subscriptions.delete(subscription.key);
          subscription.handlers.failed?.(new SubscriptionRejectedError(`The server refused the subscription to ${describe(subscription.identifier)}.`));
        }
        return;
      }
    }
    if (frame.identifier !== undefined && 'message' in frame) this.find(frame.identifier)?.handlers.message(frame.message);
  }

  private sendSubscribe(subscription: Subscription): void {
    clearTimeout(subscription.timer);
    const timeout = this.options.subscribeTimeoutMs ?? 10_000;
    subscription.timer = setTimeout(() => {
      this.subscriptions.delete(subscription.key);
      subscription.handlers.failed?.(
        new SubscriptionTimeoutError(`The server did not answer the subscription to ${describe(subscription.identifier)} within ${timeout / 1000} s; does it exist?`),
      );
    }, timeout);
    this.send({ command: 'subscribe', identifier: JSON.stringify(subscription.identifier) });
  }

  private send(frame: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /** Identifiers are JSON strings; match them by value, whatever the key order or spacing. */
  private find(identifier: unknown): Subscription | undefined {
    if (typeof identifier !== 'string') return undefined;
    try {
      return this.subscriptions.get(canonical(JSON.parse(identifier) as Identifier));
    } catch {
      return undefined;
    }
  }

  /** No frame (not even a ping) for two intervals: the connection is dead, even if TCP says otherwise. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const interval = this.options.pingIntervalMs ?? 3_000;
    this.watchdog = setTimeout(() => {
      this.socket?.terminate();
    }, interval * 2 + 500);
  }

  private lost(reason: string): void {
    clearTimeout(this.watchdog);
    for (const subscription of this.subscriptions.values()) clearTimeout(subscription.timer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.removeAllListeners();
    socket?.on('error', () => {});
    if (this.closed) return;
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    if (wasWelcomed) this.emit('disconnected', reason);
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(_reason: string): void {
    if (this.closed) return;
    const { initialMs = 1_000, maxMs = 30_000, resetAfterMs = 60_000 } = this.options.backoff ?? {};
    if (this.connectedAt && Date.now() - this.connectedAt >= resetAfterMs) this.attempt = 0;
    this.connectedAt = 0;
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.attempt);
    this.attempt++;
    // Full jitter, applied after the cap, so a fleet of agents does not reconnect in step.
    const delay = Math.max(randomInt(0, Math.max(1, Math.round(ceiling)) + 1), Math.min(this.retryAfterMs, maxMs));
    this.retryAfterMs = 0;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }
}

/** A stable string for an identifier: keys sorted, no spacing. */
export function canonical(identifier: Identifier): string {
  return JSON.stringify(Object.fromEntries(Object.entries(identifier).sort(([a], [b]) => a.localeCompare(b))));
}

function describe(identifier: Identifier): string {
  const { channel, ...rest } = identifier;
  const details = Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return `${String(channel)}${details ? ` (${details})` : ''}`;
}

/** The sentence of a refused upgrade's JSON body (`{"message": …}`), read within a second and a kilobyte. */
async function refusalMessage(res: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  const body = await new Promise<string>((resolve) => {
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    const timer = setTimeout(done, 1_000);
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1024) chunks.push(chunk);
      else res.destroy();
    });
    res.on('end', () => (clearTimeout(timer), done()));
    res.on('error', () => (clearTimeout(timer), done()));
    res.on('close', () => (clearTimeout(timer), done()));
  });
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' && message.length <= 300 ? message.replace(/[.\s]+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` in seconds (the only form a WebSocket refusal uses here), capped at five minutes. */
function retryAfterMs(header: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1_000 : 0;
}
