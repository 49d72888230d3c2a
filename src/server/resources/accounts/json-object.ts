/**
 * JSON-object columns (`identities.jwt`, `instances.launch_bindings`): the generic values
 * layer accepts any JSON (object, array or a JSON-encoded string of one); these must be
 * objects, and `null` means "empty".
 */
import { invalid } from '../../errors.js';
import type { Row } from '../definition.js';

/** Normalises `values[field]` (a JSON text after type conversion) in place. */
export function requireJsonObject(values: Row, field: string): void {
  if (!(field in values)) return;
  const raw = values[field];
  if (raw === null) {
    values[field] = '{}';
    return;
  }
  const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(field, 'must be a JSON object');
  values[field] = JSON.stringify(parsed);
}
