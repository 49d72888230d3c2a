/**
 * Errors the server answers with. Every client mistake is one of these (4xx with a message);
 * anything else is a 500 that says nothing about the internals.
 */
import { asPgError, PG } from './db/database.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** For 422: `{field: [messages]}`, the Rails shape clients already parse. */
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message);
  }

  body(): unknown {
    if (this.fieldErrors) return this.fieldErrors;
    return { status: this.status, error: REASONS[this.status] ?? 'Error', message: this.message };
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const badRequest = (message: string) => new HttpError(400, message);
/** The SQLSTATE `hsp_refuse_unless` raises (migration 7): a write whose row would not be the caller's; nothing was written. */
export const REFUSED_BY_OWNERSHIP = 'HS403';

export const notFound = (message = 'Not found.') => new HttpError(404, message);
export const invalid = (field: string, message: string) => new HttpError(422, `${field} ${message}`, { [field]: [message] });

/** 401 for anonymous callers (sign in), 403 for signed-in ones (no amount of signing in helps). */
export function denied(signedIn: boolean, what = 'do that'): HttpError {
  return signedIn
    ? new HttpError(403, `You are not allowed to ${what}.`)
    : new HttpError(401, `You need to sign in to ${what}.`);
}

/** Turns a database constraint failure into the 4xx it means; anything else is rethrown. */
export function fromDatabaseError(error: unknown, fields: readonly string[]): HttpError {
  const pg = asPgError(error);
  if (!pg) throw error;
  const field = fieldOf(pg, fields);
  switch (pg.code) {
    case PG.uniqueViolation:
      return invalid(field ?? 'base', 'has already been taken');
    case PG.foreignKeyViolation:
      // Inserting or updating with a missing parent, or deleting a record others still use.
      if (/is still referenced/.test(pg.detail ?? '')) {
        return new HttpError(409, 'This record is still in use by other records; remove those first.');
      }
      return invalid(field ?? 'base', 'must exist');
    case PG.checkViolation:
      return invalid(field ?? 'base', 'is not allowed');
    case PG.notNullViolation:
      return invalid(pg.column ?? field ?? 'base', "can't be blank");
    case PG.invalidTextRepresentation:
    case PG.numericOutOfRange:
      return invalid(field ?? 'base', 'is invalid');
    default:
      return unstorable(pg, field) ?? rethrow(error);
  }
}

/**
 * What PostgreSQL refuses to hold is the client's value, never a 500. The values layer
 * (resources/values.ts, bodies.ts) refuses these first with the field's own limit; this is the
 * net under it for any path that reaches the database without passing there.
 */
const UNSTORABLE: Record<string, string> = {
  '22021': 'holds text the database cannot store (a NUL character or invalid Unicode)', // character_not_in_repertoire
  '22P05': 'holds text the database cannot store (a NUL character or invalid Unicode)', // untranslatable_character
  '22008': 'is a date outside the range the database can store', // datetime_field_overflow
  '22001': 'is too long', // string_data_right_truncation
  '54000': 'is too long for the database to index', // program_limit_exceeded (e.g. index row size)
};

function unstorable(pg: { code?: string }, field?: string): HttpError | undefined {
  const message = UNSTORABLE[pg.code ?? ''];
  if (!message) return undefined;
  return field ? invalid(field, message) : new HttpError(400, `A value in the request ${message}.`);
}

/** A database error that means the request's data cannot be stored, as a 4xx; `undefined` for anything else. */
export function fromUnstorableValue(error: unknown): HttpError | undefined {
  const pg = asPgError(error);
  return pg ? unstorable(pg) : undefined;
}

function rethrow(error: unknown): never {
  throw error;
}

/** `products_name_unique` → `name`; `product_licenses_license_unique` → `license_id`; `Key (user_id)=…` → `user_id`. */
function fieldOf(pg: { constraint?: string; detail?: string; column?: string }, fields: readonly string[]): string | undefined {
  const fromDetail = /Key \(([^)]+)\)/.exec(pg.detail ?? '')?.[1]?.split(',').pop()?.trim();
  if (fromDetail && fields.includes(fromDetail)) return fromDetail;
  const constraint = pg.constraint ?? '';
  const named = [...fields].sort((a, b) => b.length - a.length).find((f) => constraint.includes(`_${f}_`) || constraint.includes(`_${f.replace(/_id$/, '')}_`));
  return named ?? fromDetail ?? pg.column;
}
