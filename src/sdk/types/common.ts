/** Fields every marketplace record carries. Timestamps are ISO-8601 UTC strings. */
export interface Record_ {
  id: string;
  created_at: string;
  updated_at: string;
  /** Absolute self link, e.g. `http://host/products/<id>` (some servers add `.json`). */
  url?: string;
  /** Self link relative to the server root. */
  path?: string;
}

/** An id chosen by the caller instead of the SDK (both send a UUIDv4). */
export interface ClientId {
  id?: string;
}
