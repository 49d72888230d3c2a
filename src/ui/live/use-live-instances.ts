/**
 * A platform's instances, live: listed over REST, then kept current by the platform's event
 * stream (the SDK's `events.platform`, over the browser's WebSocket) until the page is left.
 * After every (re)subscription the list is read again, since the stream replays nothing.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PlatformEventStream } from '../../events/index.js';
import type { InstanceEvent } from '../../events/platform.js';
import { NotFoundError } from '../../sdk/errors.js';
import type { Instance } from '../../sdk/types/instances.js';
import { api } from '../api.js';
import { InstanceStore } from './instance-store.js';

/** `connecting` until the first subscription, `live` while subscribed, `reconnecting` after a drop, `failed` when refused. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'failed';

export interface LiveInstances {
  instances: Instance[];
  loading: boolean;
  /** Why the list could not be read. */
  error?: unknown;
  stream: StreamStatus;
  /** Why the stream failed, when it did. */
  streamError?: Error;
  /** Records a REST answer at once (an update the page made), before its event arrives. */
  put(instance: Instance): void;
  /** Forgets an instance the page deleted. */
  remove(id: string): void;
  /** Removals seen live (by the page's actions or anyone's), for the page to announce. */
  removed: Removal[];
}

export interface Removal {
  id: string;
  productId?: string | null;
  at: number;
}

const MAX_INSTANCES = 1000;

export function useLiveInstances(ownerId: string, platformId: string): LiveInstances {
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [stream, setStream] = useState<StreamStatus>('connecting');
  const [streamError, setStreamError] = useState<Error>();
  const [removed, setRemoved] = useState<Removal[]>([]);
  const noteRemoval = (id: string, productId: string | null | undefined) => setRemoved((list) => [...list.slice(-9), { id, productId, at: Date.now() }]);
  const store = useMemo(() => new InstanceStore(() => setVersion((n) => n + 1)), [ownerId, platformId]);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let listing: Promise<void> | undefined;
    let again = false;

    const listAll = (): Promise<void> => {
      // One listing at a time; a subscription during one asks for one more afterwards.
      if (listing) {
        again = true;
        return listing;
      }
      listing = (async () => {
        do {
          again = false;
          const mark = store.mark();
          try {
            const listed = await api().instances.list(ownerId, platformId, { perPage: 100 }, { signal }).toArray({ limit: MAX_INSTANCES });
            if (signal.aborted) return;
            store.replaceAll(listed, mark);
            setError(undefined);
          } catch (failure) {
            if (!signal.aborted) setError(failure);
          }
        } while (again && !signal.aborted);
        if (!signal.aborted) setLoading(false);
      })().finally(() => (listing = undefined));
      return listing;
    };

    const reread = (id: string) => {
      const settle = store.reading(id);
      api()
        .instances.retrieve(ownerId, platformId, id, { signal })
        .then(settle, (failure: unknown) => {
          if (failure instanceof NotFoundError) settle(null);
        });
    };

    const onEvent = (event: InstanceEvent) => {
      if (event.instanceId && event.type === 'instance.deleted') {
        const had = store.get(event.instanceId);
        if (store.remove(event.instanceId) && had) noteRemoval(had.id, had.product_id);
        return;
      }
      if (store.apply(event)) return;
      // No instance id (a reference-style event) or no state in it (too big for a NOTIFY): read it.
      if (event.instanceId) reread(event.instanceId);
      else void listAll();
    };

    const fail = (failure: unknown) => {
      setStream('failed');
      setStreamError(failure instanceof Error ? failure : new Error('The event stream stopped.'));
    };

    void listAll();
    let events: PlatformEventStream | undefined;
    void (async () => {
      try {
        events = await api().events.platform(platformId, { signal });
      } catch (failure) {
        if (!signal.aborted) fail(failure);
        return;
      }
      events.on('subscribed', () => {
        setStream('live');
        setStreamError(undefined);
        void listAll();
      });
      events.on('disconnected', () => setStream('reconnecting'));
      events.on('error', (failure) => setStreamError(failure));
      try {
        for await (const event of events) if (event.type !== 'unknown') onEvent(event);
      } catch (failure) {
        if (!signal.aborted) fail(failure);
      }
    })();
    return () => {
      controller.abort();
      events?.close();
    };
  }, [store]);

  return {
    // `version` changes whenever the store does, so this list is always the current one.
    instances: useMemo(() => store.list(), [store, version]),
    loading,
    error,
    stream,
    streamError,
    put: (instance) => store.put(instance),
    remove: (id) => {
      const had = store.get(id);
      if (store.remove(id) && had) noteRemoval(id, had.product_id);
    },
    removed,
  };
}
