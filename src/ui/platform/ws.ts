/**
 * The part of the `ws` package's WebSocket that the SDK's event stream uses, on the browser's
 * own WebSocket (the UI build aliases `ws` to this file). A browser cannot send headers, so
 * the token travels as `?jwt=`, which the stream already adds; it answers pings by itself, and
 * the server's ActionCable pings arrive as messages, which keep the watchdog fed.
 */
type Handler = (...args: never[]) => void;

export default class BrowserWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  private readonly socket: WebSocket;
  private readonly handlers = new Map<string, Handler[]>();

  constructor(url: string | URL, protocols?: string | string[], _options?: unknown) {
    this.socket = new WebSocket(url, protocols);
    this.socket.addEventListener('open', () => this.fire('open'));
    this.socket.addEventListener('message', (event) => this.fire('message', typeof event.data === 'string' ? event.data : ''));
    // The browser says nothing about why (by design); the close that follows carries the code.
    this.socket.addEventListener('error', () => this.fire('error', new Error('The event stream could not connect.')));
    this.socket.addEventListener('close', (event) => this.fire('close', event.code, event.reason));
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.handlers.clear();
    else this.handlers.delete(event);
    return this;
  }

  send(data: string): void {
    this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    // Closing a socket still connecting makes the browser log an error for nothing (leaving a
    // page while it connects): close it as soon as it opens instead.
    if (this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.addEventListener('open', () => this.socket.close(code, reason), { once: true });
      return;
    }
    this.socket.close(code, reason);
  }

  /** No abrupt close in browsers; a normal close is the nearest (at once: the connection is given up). */
  terminate(): void {
    this.socket.close();
  }

  private fire(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) (handler as (...values: unknown[]) => void)(...args);
  }
}
