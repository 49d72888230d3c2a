/**
 * Request values → column values, one readable 422 per wrong field. Unknown fields are
 * ignored (clients send rendered records back), types are checked, not guessed.
 */
import { findValueProblem, MAX_DEPTH, nestingExceeds, textProblem } from '../bodies.js';
import { invalid, HttpError } from '../errors.js';
import { Upload } from '../uploads.js';
import { UUID_PATTERN, type Field, type FieldType, type ResourceDefinition, type Row } from './definition.js';

/**
 * The longest value of a field that declares no `maxLength`, in characters (of the JSON text for
 * JSON fields). 255 characters of text take at most 1,020 bytes, well within the 2,704 bytes
 * of a PostgreSQL btree entry: every unique name stays indexable.
 */
export const DEFAULT_MAX_LENGTH: Partial<Record<FieldType, number>> = { text: 255, json: 65_536 };

export function maxLengthOf(field: Field): number | undefined {
  return field.maxLength ?? DEFAULT_MAX_LENGTH[field.type];
}

/** Whether `text` has more than `max` characters (code points: an emoji is one, as in Rails). */
export function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

/** Timestamps PostgreSQL and every client can hold: years 1 to 9999. */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** The record's fields from a body that may be wrapped (`{"product": {...}}`) or flat. */
export function unwrap(body: unknown, root: string): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, `The request body must be a JSON object, optionally wrapped as {"${root}": {...}}.`);
  const wrapped = (body as Record<string, unknown>)[root];
  if (wrapped !== undefined) {
    if (!wrapped || typeof wrapped !== 'object' || Array.isArray(wrapped)) throw new HttpError(400, `"${root}" must be a JSON object.`);
    return wrapped as Record<string, unknown>;
  }
  return body as Record<string, unknown>;
}

/**
 * Checks and converts the writable fields present in `input`. On create, required fields
 * must be present; on update, they may be absent but not blanked.
 */
export function toColumns(definition: ResourceDefinition, input: Record<string, unknown>, mode: 'create' | 'update'): Row {
  const values: Row = {};
  const errors: Record<string, string[]> = {};
  for (const [name, field] of Object.entries(definition.fields)) {
    if (field.readOnly || name === definition.parent?.column) continue;
    const present = Object.prototype.hasOwnProperty.call(input, name) && input[name] !== undefined;
    if (!present) {
      if (mode === 'create' && field.required && !(name === definition.ownerField)) (errors[name] ??= []).push("can't be blank");
      continue;
    }
    const result = convert(field, input[name]);
    if ('error' in result) {
      (errors[name] ??= []).push(result.error);
      continue;
    }
    if (field.required && (result.value === null || (typeof result.value === 'string' && !result.value.trim()))) {
      (errors[name] ??= []).push("can't be blank");
      continue;
    }
    values[name] = result.value;
  }
  if (mode === 'create' && input.id !== undefined && input.id !== null) {
    if (typeof input.id !== 'string' || !UUID_PATTERN.test(input.id)) (errors.id ??= []).push('must be a UUID');
    else values.id = input.id.toLowerCase();
  }
  if (Object.keys(errors).length) {
    const [first] = Object.entries(errors);
    throw new HttpError(422, `${first![0]} ${first![1][0]}`, errors);
  }
  return values;
}

/**
 * What `toColumns` checks from the body alone (types, lengths, text the database cannot hold),
 * for the app to run before any permission check: a bad body is the client's mistake whoever
 * sends it. Required fields are the routes' concern (create needs them, update does not).
 */
export function checkBodyFields(definition: ResourceDefinition, body: unknown): void {
  toColumns(definition, unwrap(body, definition.root), 'update');
}

type Converted = { value: unknown } | { error: string };

function convert(field: Field, raw: unknown): Converted {
  if (raw === null) return { value: null };
  if (raw instanceof Upload) return { error: 'must be a value, not a file' };
  switch (field.type) {
    case 'text': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return { error: 'must be a string' };
      const text = String(raw);
      const problem = textProblem(text);
      if (problem) return { error: problem };
      const max = maxLengthOf(field);
      if (max !== undefined && longerThan(text, max)) return { error: `is too long (maximum is ${max} characters)` };
      if (field.enum && !field.enum.includes(text)) return { error: `must be one of: ${field.enum.join(', ')}` };
      if (field.format && text === '') return { value: null };
      if (field.format && !field.format.pattern.test(text)) return { error: field.format.message };
      return { value: text };
    }
    case 'uuid':
      return typeof raw === 'string' && UUID_PATTERN.test(raw) ? { value: raw.toLowerCase() } : { error: 'must be a UUID' };
    case 'integer': {
      const number = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof number !== 'number' || !Number.isSafeInteger(number) || Math.abs(number) > 2_147_483_647) return { error: 'must be an integer' };
      if (field.min !== undefined && number < field.min) return { error: `must be greater than or equal to ${field.min}` };
      return { value: number };
    }
    case 'boolean':
      if (raw === true || raw === 'true' || raw === '1' || raw === 1) return { value: true };
      if (raw === false || raw === 'false' || raw === '0' || raw === 0) return { value: false };
      return { error: 'must be true or false' };
    case 'timestamp': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return { error: 'must be an ISO 8601 date and time' };
      // A time without a zone is UTC, as the specification says.
      const text = typeof raw === 'string' && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw) ? `${raw}Z` : raw;
      const date = new Date(text);
      if (Number.isNaN(date.getTime())) return { error: 'must be an ISO 8601 date and time' };
      if (date.getTime() < EARLIEST || date.getTime() > LATEST) return { error: 'must be between the years 1 and 9999' };
      return { value: date };
    }
    case 'json':
      return convertJson(field, raw);
  }
}

/**
 * A JSON field: an object or array (or, where the field accepts it, a JSON-encoded string of
 * one), bounded in length and nesting before it is parsed or serialised, and holding nothing
 * PostgreSQL's jsonb refuses (a `\u0000` escape, an unpaired surrogate).
 */
function convertJson(field: Field, raw: unknown): Converted {
  const max = maxLengthOf(field)!;
  const tooLong = { error: `is too long (maximum is ${max} characters of JSON)` };
  let value = raw;
  if (typeof raw === 'string') {
    if (!field.acceptsJsonString) return { error: 'must be a JSON object or array' };
    if (raw.length > max) return tooLong;
    if (nestingExceeds(raw, MAX_DEPTH)) return { error: `is nested deeper than ${MAX_DEPTH} levels` };
    try {
      value = JSON.parse(raw);
    } catch {
      return { error: 'must be valid JSON' };
    }
    // What arrived as an object was screened with the whole body (bodies.ts); a string was not.
    const found = findValueProblem(value);
    if (found) return { error: found.path ? `${found.path} ${found.problem}` : found.problem };
  }
  if (value === null || typeof value !== 'object') return { error: 'must be a JSON object or array' };
  const text = JSON.stringify(value);
  return text.length > max ? tooLong : { value: text };
}

/** A record as JSON: timestamps as ISO 8601 UTC with milliseconds, like Rails. */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value;
}

export { invalid };
