/**
 * Raw requests to a test marketplace, for what the SDK would never send: hostile bytes, odd
 * content types, form bodies, CORS headers. The answer is read whole; a 5xx fails the test at
 * once, since no input may produce one.
 */
import { expect } from 'vitest';
import type { TestMarketplace } from './marketplace.js';

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or the text when it is not JSON. */
  body: unknown;
}

export interface RawOptions {
  /** Sent as JSON (`Content-Type: application/json` unless headers say otherwise). */
  json?: unknown;
  /** Sent as is. */
  raw?: string | Uint8Array | FormData;
  headers?: Record<string, string>;
  /** The administrator's token unless given; `null` for anonymous. */
  token?: string | null;
}

export async function rawRequest(server: TestMarketplace, method: string, path: string, options: RawOptions = {}): Promise<RawAnswer> {
  const token = options.token === undefined ? server.server.adminToken : options.token;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.json !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json)),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path.slice(0, 120)} answered ${res.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A 4xx carrying one sentence (matching `pattern`), and no stack trace. */
export function expectSentence(answer: RawAnswer, status: number, pattern?: RegExp): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  const message = (answer.body as { message?: string } | null)?.message;
  expect(message).toMatch(/^[A-Z"].*[.]$/);
  if (pattern) expect(message).toMatch(pattern);
  expect(answer.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}
