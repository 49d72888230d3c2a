/** `client.events`: the marketplace's realtime stream. The WebSocket code loads on first use. */
import type { PlatformEventStream, PlatformStreamOptions } from './stream.js';
import { uuid } from '../sdk/resource.js';

export interface EventsHost {
  baseUrl: string;
  _token(): Promise<string | undefined>;
}

export interface PlatformEventsOptions extends Omit<PlatformStreamOptions, 'token'> {
  /** The WebSocket path; `/websocket` (the reference server's and ours) unless told otherwise. */
  path?: string;
}

export class Events {
  constructor(private readonly client: EventsHost) {}

  /**
   * Every event of one platform, as an async iterable that reconnects and resubscribes by
   * itself. Listen for `subscribed` to reconcile after each (re)subscription.
   */
  async platform(platformId: string, options: PlatformEventsOptions = {}): Promise<PlatformEventStream> {
    const id = uuid('platformId', platformId);
    const { PlatformEventStream } = await import('./stream.js');
    const { path = '/websocket', ...rest } = options;
    return new PlatformEventStream(`${this.client.baseUrl}${path}`, id, { token: () => this.client._token(), ...rest });
  }
}

export type { PlatformEventStream, PlatformStreamEvents } from './stream.js';
export type { PlatformEvent, InstanceEvent, UnknownEvent, InstanceEventModel, InstanceEventType } from './platform.js';
export { SubscriptionRejectedError, SubscriptionTimeoutError } from './errors.js';
