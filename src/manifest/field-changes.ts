/**
 * How a record in the marketplace differs from what the manifest wants, field by field.
 * Values are compared as JSON (object key order aside), times as instants, and every kind of
 * "nothing" is the same nothing: servers store an empty list, an empty object, an empty string and no value
 * at all interchangeably (`options: []` comes back as `null` from some).
 */

export interface FieldChange {
  field: string;
  /** In the marketplace (`null` when it has none). */
  from: unknown;
  /** In the manifest. */
  to: unknown;
}

/** The fields of `wanted` whose value `actual` does not have. */
export function fieldChanges(wanted: Record<string, unknown>, actual: object): FieldChange[] {
  const record = actual as Record<string, unknown>;
  const changes: FieldChange[] = [];
  for (const [field, to] of Object.entries(wanted)) {
    const from = record[field] ?? null;
    if (!sameValue(from, to)) changes.push({ field, from, to });
  }
  return changes;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (isNothing(a) || isNothing(b)) return isNothing(a) && isNothing(b);
  if (sameInstant(a, b)) return true;
  return canonical(a) === canonical(b);
}

/** Servers normalise the times they store (`2025-01-01` comes back as `2025-01-01T00:00:00.000Z`). */
function sameInstant(a: unknown, b: unknown): boolean {
  const date = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  if (typeof a !== 'string' || typeof b !== 'string' || !date.test(a) || !date.test(b)) return false;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return !Number.isNaN(x) && x === y;
}

function isNothing(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** JSON with object keys sorted and absent values dropped, so equal content reads equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, inner]) => inner !== undefined && inner !== null)
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}
