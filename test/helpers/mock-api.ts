/**
 * An msw server for unit tests that records every request the SDK makes, so tests can
 * assert on the exact wire (method, path, query, headers, body) as well as on results.
 */
import { setupServer, type SetupServer } from 'msw/node';
import { http, type RequestHandler } from 'msw';
import { afterAll, afterEach, beforeAll } from 'vitest';

export const BASE_URL = 'http://marketplace.test';

export interface RecordedRequest {
  method: string;
  url: URL;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body, a FormData for multipart, or null. */
  body: unknown;
}

export interface MockApi {
  server: SetupServer;
  requests: RecordedRequest[];
  use: (...handlers: RequestHandler[]) => void;
}

/**
 * Starts msw for the current test file; unhandled requests fail the test. A recording
 * handler runs before every other one and falls through (it returns nothing), so each
 * request is recorded, body included, before any response is produced.
 */
export function useMockApi(): MockApi {
  const requests: RecordedRequest[] = [];
  const seen = new Set<string>();
  const recorder = http.all('*', async ({ request, requestId }) => {
    if (seen.has(requestId)) return;
    seen.add(requestId);
    requests.push(await record(request));
  });
  const server = setupServer(recorder);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    requests.length = 0;
    seen.clear();
  });
  afterAll(() => server.close());
  // New handlers go in front of older ones, so the recorder is put in front again each time.
  return { server, requests, use: (...handlers) => server.use(recorder, ...handlers) };
}

async function record(request: Request): Promise<RecordedRequest> {
  const url = new URL(request.url);
  const clone = request.clone();
  const multipart = (clone.headers.get('content-type') ?? '').includes('multipart/form-data');
  const text = multipart ? undefined : await clone.text();
  const body: unknown = text === undefined ? await clone.formData() : text ? JSON.parse(text) : null;
  return {
    method: request.method,
    url,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(request.headers),
    body,
  };
}
