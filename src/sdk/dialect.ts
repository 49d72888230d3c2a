/**
 * API generations. HL7 HSP Release 1 servers call a product a "service" (`/services`,
 * `service_id`, `{"service": {...}}`); R2 servers say "product". Every other module speaks
 * R2; this is the one place that knows R1 exists.
 */

export type Dialect = 'r2' | 'r1';
export type DialectOption = Dialect | 'auto';

const R2_TO_R1_KEYS: Record<string, string> = {
  product: 'service',
  products: 'services',
  product_id: 'service_id',
};
const R1_TO_R2_KEYS: Record<string, string> = Object.fromEntries(
  Object.entries(R2_TO_R1_KEYS).map(([r2, r1]) => [r1, r2]),
);

/** Reads the generation off a `GET /status` body: R2 has a `product` key, R1 a `service` key. */
export function detectDialect(status: unknown): Dialect {
  if (status && typeof status === 'object' && 'service' in status && !('product' in status)) return 'r1';
  return 'r2';
}

/** `/products/x/builds` → `/services/x/builds` on R1. */
export function mapPath(path: string, dialect: Dialect): string {
  if (dialect === 'r2') return path;
  return path.replace(/^\/products(?=\/|$)/, '/services');
}

/** Renames R2 keys to R1 ones in a request body or query, deeply. */
export function toWire<T>(value: T, dialect: Dialect): T {
  return dialect === 'r2' ? value : (renameKeys(value, R2_TO_R1_KEYS) as T);
}

/** Renames R1 keys in a response to the R2 names the SDK's types use, deeply. */
export function fromWire<T>(value: T, dialect: Dialect): T {
  return dialect === 'r2' ? value : (renameKeys(value, R1_TO_R2_KEYS) as T);
}

function renameKeys(value: unknown, names: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, names));
  if (value instanceof FormData) {
    const out = new FormData();
    for (const [key, item] of value.entries()) out.append(renameFormKey(key, names), item);
    return out;
  }
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[names[key] ?? key] = renameKeys(item, names);
  return out;
}

/** `product[logo]` → `service[logo]`. */
function renameFormKey(key: string, names: Record<string, string>): string {
  return key.replace(/^([^[]+)/, (root) => names[root] ?? root).replace(/\[([^\]]+)\]/g, (m, inner: string) =>
    names[inner] ? `[${names[inner]}]` : m,
  );
}
