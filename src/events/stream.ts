/**
 * `client.events.platform(id)`: one platform's events as an async iterable that survives
 * reconnects, plus notifications so a caller can reconcile after every (re)subscription
 * (ActionCable has no replay: what happened while disconnected must be read over REST).
 */
import { EventEmitter } from 'node:events';
import { CableConnection, type CableOptions } from './cable.js';
import { parsePlatformEvent, type PlatformEvent } from './platform.js';

export interface PlatformStreamEvents {
  /** The socket is open and welcomed. */
  connected: [];
  /** The socket closed; a reconnect is scheduled. */
  disconnected: [reason: string];
  /** The server confirmed the subscription: now is the time to reconcile. */
  subscribed: [];
  /** Something went wrong; terminal errors also end the iteration. */
  error: [error: Error];
}

export interface PlatformStreamOptions extends Omit<CableOptions, 'url'> {
  signal?: AbortSignal;
  /** Events kept for a slow consumer before the oldest are dropped (reconcile to catch up). */
  maxBuffered?: number;
}

export class PlatformEventStream extends EventEmitter<PlatformStreamEvents> implements AsyncIterable<PlatformEvent> {
  private readonly cable: CableConnection;
  private readonly queue: PlatformEvent[] = [];
  private waiting: ((result: IteratorResult<PlatformEvent>) => void) | undefined;
  private failWaiting: ((error: Error) => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private readonly maxBuffered: number;

  constructor(url: string, platformId: string, options: PlatformStreamOptions = {}) {
    super();
    this.on('error', () => {}); // reported to listeners, never thrown at the process
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.cable = new CableConnection({ ...options, url });
    this.cable.on('connected', () => this.emit('connected'));
    this.cable.on('disconnected', (reason) => this.emit('disconnected', reason));
    this.cable.on('error', (error) => this.emit('error', error));
    this.cable.subscribe(
      { channel: 'PlatformChannel', platform_id: platformId },
      {
        message: (message) => this.push(parsePlatformEvent(message)),
        confirmed: () => this.emit('subscribed'),
        failed: (error) => this.fail(error),
      },
    );
    if (options.signal?.aborted) this.close();
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  /** Stops listening; a pending iteration ends normally. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.cable.close();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = this.failWaiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<PlatformEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<PlatformEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  private push(event: PlatformEvent): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.maxBuffered) {
      this.queue.shift();
      this.emit('error', new Error(`More than ${this.maxBuffered} events were waiting; the oldest was dropped (reconcile to catch up).`));
    }
  }

  private fail(error: Error): void {
    this.emit('error', error);
    this.failure = error;
    this.ended = true;
    this.cable.close();
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = undefined;
      reject(error);
    }
  }
}
