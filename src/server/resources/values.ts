/**
 * Request values → column values, one readable 422 per wrong field. Unknown fields are
 * ignored (clients send rendered records back), types are checked, not guessed.
 */
import { invalid, HttpError } from '../errors.js';
import { Upload } from '../uploads.js';
import { UUID_PATTERN, type Field, type ResourceDefinition, type Row } from './definition.js';

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

type Converted = { value: unknown } | { error: string };

function convert(field: Field, raw: unknown): Converted {
  if (raw === null) return { value: null };
  if (raw instanceof Upload) return { error: 'must be a value, not a file' };
  switch (field.type) {
    case 'text': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return { error: 'must be a string' };
      const text = String(raw);
      if (field.enum && !field.enum.includes(text)) return { error: `must be one of: ${field.enum.join(', ')}` };
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
      return Number.isNaN(date.getTime()) ? { error: 'must be an ISO 8601 date and time' } : { value: date };
    }
    case 'json': {
      if (typeof raw === 'string') {
        if (!field.acceptsJsonString) return { error: 'must be a JSON object or array' };
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          return { error: 'must be valid JSON' };
        }
        return parsed !== null && typeof parsed === 'object' ? { value: JSON.stringify(parsed) } : { error: 'must be a JSON object or array' };
      }
      if (typeof raw !== 'object') return { error: 'must be a JSON object or array' };
      return { value: JSON.stringify(raw) };
    }
  }
}

/** A record as JSON: timestamps as ISO 8601 UTC with milliseconds, like Rails. */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value;
}

export { invalid };
