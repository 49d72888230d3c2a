import { describe, expect, it } from 'vitest';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotAcceptableError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ValidationError,
  HspError,
} from '../../../src/index.js';
import { describeBody, normaliseFieldErrors } from '../../../src/sdk/errors.js';

const at = { method: 'POST', url: 'http://127.0.0.1:3000/products?jwt=[REDACTED]' };

describe('APIError.from', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [406, NotAcceptableError],
    [409, ConflictError],
    [422, ValidationError],
    [429, RateLimitError],
    [500, InternalServerError],
    [502, InternalServerError],
    [503, InternalServerError],
  ])('maps %i to its class', (status, Class) => {
    const error = APIError.from({ status, body: null, ...at });
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(HspError);
    expect(error.status).toBe(status);
    expect(error.name).toBe(Class.name);
  });

  it('keeps other statuses as a plain APIError', () => {
    const error = APIError.from({ status: 418, body: null, ...at });
    expect(error.constructor).toBe(APIError);
    expect(error.message).toBe('POST /products?jwt=[REDACTED] failed with HTTP 418 (request failed).');
  });
});

describe('ValidationError', () => {
  it('reads the field-hash shape', () => {
    const error = APIError.from({ status: 422, body: { name: ["can't be blank"], user: ['must exist', "can't be blank"] }, ...at }) as ValidationError;
    expect(error.fieldErrors).toEqual({ name: ["can't be blank"], user: ['must exist', "can't be blank"] });
    expect(error.message).toBe(
      "POST /products?jwt=[REDACTED] failed with HTTP 422 (validation failed): name can't be blank; user must exist; user can't be blank.",
    );
  });

  it('reads the full-messages array shape under base', () => {
    const error = APIError.from({ status: 422, body: ["Name can't be blank", "Url can't be blank"], ...at }) as ValidationError;
    expect(error.fieldErrors).toEqual({ base: ["Name can't be blank", "Url can't be blank"] });
    expect(error.message).toContain("Name can't be blank; Url can't be blank.");
  });

  it('copes with the literal null body the reference server sends for configurations', () => {
    const error = APIError.from({ status: 422, body: null, ...at }) as ValidationError;
    expect(error.fieldErrors).toEqual({});
    expect(error.message).toBe('POST /products?jwt=[REDACTED] failed with HTTP 422 (validation failed).');
  });

  it('unwraps {errors: ...}', () => {
    expect(normaliseFieldErrors({ errors: { version: ['has already been taken'] } })).toEqual({ version: ['has already been taken'] });
  });
});

describe('describeBody', () => {
  it('prefers message, then error', () => {
    expect(describeBody({ message: 'You are not authorized, sorry!' })).toBe('You are not authorized, sorry!');
    expect(describeBody({ status: 404, error: 'Not Found' })).toBe('Not Found');
  });

  it('summarises HTML instead of dumping it', () => {
    expect(describeBody('<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>')).toBe(
      'the server sent an HTML page titled "502 Bad Gateway"',
    );
  });

  it('clips very long text to one line', () => {
    const text = describeBody(`line one\nline two ${'x'.repeat(1000)}`) ?? '';
    expect(text.length).toBeLessThanOrEqual(300);
    expect(text).not.toContain('\n');
  });

  it('does not repeat the status phrase', () => {
    const error = APIError.from({ status: 404, body: { status: 404, error: 'Not Found' }, method: 'GET', url: 'http://h/products/x' });
    expect(error.message).toBe('GET /products/x failed with HTTP 404 (not found).');
  });
});
