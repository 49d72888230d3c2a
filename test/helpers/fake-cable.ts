/**
 * A minimal ActionCable server on a real `ws` server, replaying the reference server's exact
 * frames, with switches for the awkward cases (reject, never answer, stop pinging, restart).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeCableOptions {
  answer?: 'confirm' | 'reject' | 'silent';
  pingIntervalMs?: number;
  /** Echo identifiers with their keys reordered (matching must be by value). */
  reorderIdentifiers?: boolean;
  port?: number;
}

export class FakeCable {
  readonly requests: IncomingMessage[] = [];
  readonly received: unknown[] = [];
  readonly sockets = new Set<WebSocket>();
  pinging = true;
  private http!: Server;
  private wss!: WebSocketServer;
  private pinger!: NodeJS.Timeout;
  port = 0;

  constructor(readonly options: FakeCableOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.http = createServer((_req, res) => res.writeHead(404).end('Page not found'));
    this.wss = new WebSocketServer({ server: this.http, handleProtocols: (p) => (p.has('actioncable-v1-json') ? 'actioncable-v1-json' : false) });
    this.wss.on('connection', (socket, req) => {
      this.requests.push(req);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data) => this.onCommand(socket, String(data)));
      socket.send('{"type":"welcome"}');
    });
    await new Promise<void>((resolve) => this.http.listen(this.options.port ?? this.port, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    this.pinger = setInterval(() => {
      if (this.pinging) for (const s of this.sockets) s.send(`{"type":"ping","message":${Math.floor(Date.now() / 1000)}}`);
    }, this.options.pingIntervalMs ?? 3000);
    return this;
  }

  /** A broadcast frame, as the reference server sends it, to every subscriber. */
  broadcast(message: unknown): void {
    for (const socket of this.sockets) {
      for (const identifier of subscriptionsOf(socket)) socket.send(JSON.stringify({ identifier, message }));
    }
  }

  sendRaw(text: string): void {
    for (const socket of this.sockets) socket.send(text);
  }

  async stop(): Promise<void> {
    clearInterval(this.pinger);
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private onCommand(socket: WebSocket, text: string): void {
    const frame = JSON.parse(text) as { command: string; identifier: string };
    this.received.push(frame);
    if (frame.command !== 'subscribe') return;
    const answer = this.options.answer ?? 'confirm';
    if (answer === 'silent') return;
    let identifier = frame.identifier;
    if (this.options.reorderIdentifiers) {
      const parsed = JSON.parse(identifier) as Record<string, unknown>;
      identifier = JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse()), null, 1);
    }
    if (answer === 'confirm') subscriptionsOf(socket).add(identifier);
    socket.send(JSON.stringify({ identifier, type: answer === 'confirm' ? 'confirm_subscription' : 'reject_subscription' }));
  }
}

const subscriptions = new WeakMap<WebSocket, Set<string>>();
function subscriptionsOf(socket: WebSocket): Set<string> {
  let set = subscriptions.get(socket);
  if (!set) subscriptions.set(socket, (set = new Set()));
  return set;
}
