/**
 * A resource, declared: its table, where it hangs in the URL tree, its fields and who may do
 * what. The generic routes (../routes/crud.ts) turn a definition into list, show, create,
 * update and delete with validation, filters, sorting, pagination and access control, so a
 * new resource is a few lines here rather than a new controller.
 */
import type { Caller } from '../auth/caller.js';
import type { Verb } from '../auth/permissions.js';
import type { Queryable } from '../db/database.js';

export type FieldType = 'text' | 'uuid' | 'integer' | 'boolean' | 'timestamp' | 'json';

export interface Field {
  type: FieldType;
  /** Must be present and not blank on create, and not blanked on update. */
  required?: boolean;
  /** Rendered but never written by clients (server-managed, e.g. `published_at` of builds). */
  readOnly?: boolean;
  /** Rendered only to callers allowed to update the record (e.g. an IdP's client secret). */
  secret?: boolean;
  enum?: readonly string[];
  /** Text must match `pattern`; otherwise the 422 says `message` after the field's name. */
  format?: { pattern: RegExp; message: string };
  /** Smallest allowed integer. */
  min?: number;
  /**
   * Longest accepted value: characters of text, or of the JSON text of a JSON field. Defaults
   * (values.ts `DEFAULT_MAX_LENGTH`) keep short text within what a unique index can hold; long
   * prose (descriptions, release notes) and keys declare more.
   */
  maxLength?: number;
  /** May be used as `?sort=`. */
  sortable?: boolean;
  /** May be used as `?field=` (default: yes for text, uuid, integer and boolean). */
  filterable?: boolean;
  /** The filter takes a comma-separated list of exact values (e.g. `mime_type`). */
  listFilter?: boolean;
  /** JSON fields: also accept a JSON-encoded string (what the reference server's clients send). */
  acceptsJsonString?: boolean;
  /**
   * Curation (`published_at`, `visible_at`, `validated_at`): setting it on create, or changing
   * it on update, needs this role permission, whatever else the caller may do to the record
   * (an owner or an Editor may edit a product, but not publish it). A 403 names the field.
   */
  permission?: { noun: string; verb: Verb };
}

export type Row = Record<string, unknown>;

/** Collects query parameters: `add(value)` returns its placeholder (`$3`). */
export interface SqlParams {
  add(value: unknown): string;
}

/** A user with rights over a row without a role permission: SQL for their id, and what they may do. */
export interface Ownership {
  /** SQL expression over alias `r`: the user's id. */
  expr: string;
  verbs: readonly Verb[];
}

/**
 * A file kept with a record, sent as multipart `root[name]` on create or update and stored in
 * its own table (one file per record, keyed by the record's id).
 */
export interface Attachment {
  table: string;
  /** The column of `table` holding the record's id, e.g. `product_id`. */
  key: string;
  /** Only images are accepted. */
  images?: boolean;
}

export interface RenderContext {
  db: Queryable;
  caller: Caller;
  /** `http://host:port`, from the request. */
  origin: string;
  /** The rows were just inserted by this request, alone: nothing refers to them yet, nothing is attached. */
  justCreated?: boolean;
}

export interface ResourceDefinition {
  /** Plural noun: the URL segment and the default RBAC noun, e.g. `builds`. */
  name: string;
  table: string;
  /** The request body's root key, e.g. `build` for `{"build": {...}}`. */
  root: string;
  /** The collection path with parent params, e.g. `/products/:product_id/builds`. */
  path: string;
  /** The parent in the URL: its param, the column holding it, and its definition's name. */
  parent?: { param: string; column: string; resource: string };
  fields: Record<string, Field>;
  defaultSort: string;
  /** Direction of the default sort (ascending unless said). */
  defaultOrder?: 'asc' | 'desc';
  /** Query filters beyond the fields (e.g. `published=true`): SQL over alias `r`; throw an HttpError for a bad value. */
  filters?: Record<string, (value: string, sql: SqlParams) => string>;
  /** Files stored with the record, by body field name (e.g. `logo`). */
  attachments?: Record<string, Attachment>;
  /** Index as the will_paginate envelope, or as a bare array (reference server sub-resources). */
  listShape: 'envelope' | 'array';
  /** `DELETE` answers 200 with the deleted record, or 204. */
  deleteReturns: 'record' | 'nothing';
  /** RBAC noun when it differs from `name`. */
  permission?: string;
  /** SQL condition over alias `r`: rows anyone, anonymous included, may read. */
  publicWhere?: string;
  /** SQL expression over alias `r`: the id of the user who owns the row. */
  ownerExpr?: string;
  /** What owners may do without a role permission. */
  ownerVerbs?: readonly Verb[];
  /** Further users with rights over a row, e.g. an entitlement's holder besides its product's owner. */
  owners?: readonly Ownership[];
  /** Other RBAC nouns whose `read` also grants reading these rows (`products` for all below a product). */
  readNouns?: readonly string[];
  /**
   * The column naming the user who owns the row (products and platforms): defaulted to the
   * caller's id on create. Owning is never handed out: an owner other than the caller on
   * create, or a new owner on update, needs `users.update` (administering users).
   */
  ownerField?: string;
  /** `url` and `path` end in `.json`, as the reference server renders some resources. */
  jsonSuffix?: boolean;
  /**
   * Read-only fields computed by SQL over alias `r`, read with the row itself (no round trip of
   * their own), rendered after the row's links.
   */
  computed?: Record<string, string>;
  /** Adds embedded or computed fields to rendered rows, in one query per page. */
  embed?: (rows: Row[], context: RenderContext) => Promise<void>;
  /** Checks across fields after type validation; throw an HttpError to refuse. */
  check?: (values: Row, existing: Row | undefined, context: RenderContext) => Promise<void> | void;
  /**
   * A condition on the stored row that an update with these values requires, checked by the
   * UPDATE itself so that two racing requests cannot both pass it (a voucher is redeemed
   * once); `conflict` is the 409's sentence when the row no longer meets it.
   */
  updateGuard?: (values: Row) => { where: string; conflict: string } | undefined;
  /** Refuses a delete by throwing an HttpError (e.g. administrators deleting themselves). */
  beforeDelete?: (row: Row, context: RenderContext) => Promise<void> | void;
  /** Runs in the write transaction after an insert or update (e.g. appointing default roles). */
  afterWrite?: (row: Row, tx: Queryable, action: 'create' | 'update') => Promise<void>;
}

/**
 * The specification's curator permission (`products.publish`): publishing a product, setting
 * when it becomes visible, validating its builds. Owners and Editors edit, curators curate.
 */
export const CURATION = { noun: 'products', verb: 'publish' } as const satisfies Field['permission'];

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Conditions for products, reused by everything that hangs below a product. */
export const PUBLISHED = (alias: string) =>
  `${alias}.published_at IS NOT NULL AND ${alias}.published_at <= now() AND ${alias}.visible_at IS NOT NULL AND ${alias}.visible_at <= now()`;

/** The product a row belongs to, by a SQL expression giving its product id. */
export const productOwner = (productIdExpr: string) => `(SELECT p.user_id FROM products p WHERE p.id = ${productIdExpr})`;
export const productPublished = (productIdExpr: string) => `EXISTS (SELECT 1 FROM products p WHERE p.id = ${productIdExpr} AND ${PUBLISHED('p')})`;
