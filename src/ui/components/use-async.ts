/**
 * Loads data for a component and keeps it while the component lives: a newer load or leaving
 * the page aborts the older request, so a slow answer never overwrites a newer one.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface AsyncState<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload(): void;
}

export function useAsync<T>(load: (signal: AbortSignal) => PromiseLike<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ data: previous.data, loading: true }));
    Promise.resolve(latest.current(controller.signal)).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !controller.signal.aborted && setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}
