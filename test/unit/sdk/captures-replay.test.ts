/**
 * Replays every HTTP exchange recorded from the reference server through the SDK's transport:
 * successes must come back as the same JSON, failures as the right typed error with a
 * one-sentence message. Uses the shared captures folder (see test/helpers/captures.ts).
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  type APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  Marketplace,
  NotAcceptableError,
  NotFoundError,
  Page,
  ValidationError,
} from '../../../src/index.js';
import type { HttpMethod } from '../../../src/sdk/transport.js';
import { loadCaptures, type Capture } from '../../helpers/captures.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';
import { withCaptures } from '../../helpers/skips.js';

const api = useMockApi();

/** The class each status the reference server uses must map to. */
const ERROR_CLASSES: Record<number, typeof APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  404: NotFoundError,
  406: NotAcceptableError,
  422: ValidationError,
  500: InternalServerError,
};

const isBodyNote = (body: unknown) => !!body && typeof body === 'object' && 'note' in body && 'length' in body;
const replayable = loadCaptures().filter((c) => c.transport !== 'websocket' && !isBodyNote(c.response.body) && c.response.status !== 101);

function serve(c: Capture) {
  api.use(
    http.all(`${BASE_URL}${c.request.path}`, () =>
      new HttpResponse(c.response.body === null ? 'null' : JSON.stringify(c.response.body), {
        status: c.response.status,
        headers: { 'content-type': c.response.headers['Content-Type'] ?? 'application/json; charset=utf-8' },
      }),
    ),
  );
}

function call(c: Capture) {
  const client = new Marketplace({ baseUrl: BASE_URL, dialect: 'r2', maxRetries: 0 });
  return client.request({
    method: c.request.method as HttpMethod,
    path: c.request.path,
    query: (c.request.query ?? undefined) as Record<string, string> | undefined,
    body: c.request.body ?? undefined,
  });
}

withCaptures.describe('reference server captures', () => {
  it('are there to replay', () => {
    expect(replayable.length).toBeGreaterThan(150);
  });

  describe.each(replayable.filter((c) => c.response.status < 300).map((c) => [c.file, c] as const))('success %s', (_file, c) => {
    it('returns the same JSON', async () => {
      serve(c);
      const data = await call(c);
      expect(data).toEqual(c.response.body);
      expect(api.requests[0]?.headers.accept).toBe('application/json');
      if (Array.isArray(data) || (data && typeof data === 'object' && 'results' in data)) {
        const page = new Page(data, async () => data, undefined, (item) => item);
        expect(page.items.length).toBe(Array.isArray(data) ? data.length : (data as { results: unknown[] }).results.length);
      }
    });
  });

  describe.each(replayable.filter((c) => c.response.status >= 400).map((c) => [c.file, c] as const))('failure %s', (_file, c) => {
    it('becomes one typed error sentence', async () => {
      serve(c);
      const error = (await call(c).then(
        () => undefined,
        (e: unknown) => e,
      )) as APIError;
      expect(error).toBeInstanceOf(ERROR_CLASSES[c.response.status]);
      expect(error.status).toBe(c.response.status);
      expect(error.body).toEqual(c.response.body);
      expect(error.message).not.toMatch(/\n/);
      expect(error.message).toMatch(/[.!?]$/);
      expect(error.message.length).toBeLessThan(500);
      const body = c.response.body as { message?: string } | null;
      if (body && typeof body === 'object' && typeof body.message === 'string') expect(error.message).toContain(body.message);
      if (error instanceof ValidationError && body) expect(Object.keys(error.fieldErrors).length).toBeGreaterThan(0);
    });
  });
});
