/**
 * An msw server for unit tests that records every request the SDK makes, so tests can
 * assert on the exact wire (method, path, query, headers, body) as well as on results.
 */
import { setupServer, type SetupServer } from 'msw/node';
import type { RequestHandler } from 'msw';
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

/** Starts msw for the current test file; unhandled requests fail the test. */
export function useMockApi(): MockApi {
  const server = setupServer();
  const requests: RecordedRequest[] = [];
  server.events.on('request:start', async ({ request }) => {
    const url = new URL(request.url);
    const clone = request.clone();
    const type = clone.headers.get('content-type') ?? '';
    let body: unknown = null;
    if (type.includes('multipart/form-data')) body = await clone.formData();
    else {
      const text = await clone.text();
      body = text ? JSON.parse(text) : null;
    }
    requests.push({
      method: request.method,
      url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(request.headers),
      body,
    });
  });
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    requests.length = 0;
  });
  afterAll(() => server.close());
  return { server, requests, use: (...handlers) => server.use(...handlers) };
}
