/**
 * Catalogue changes as database events, the way instance changes reach the WebSocket
 * (../cable/instance-events.ts): a trigger NOTIFYs every statement that writes a table an
 * anonymous catalogue page renders, and PostgreSQL delivers it after the commit to every
 * replica LISTENing on the database (PGlite, in the same process, before the commit's answer).
 * Each replica then empties its cache of rendered pages (./catalog-cache.ts).
 */
import { triggersSql } from './table-changes.js';

export const CATALOG_CHANNEL = 'hsp_catalog_changes';

/**
 * Every table an anonymous GET of a cached route reads: the catalogue resources anyone may
 * read, their attachments and embeds, and `products` (whose publication decides what
 * everything below a product shows). Owner-only records (entitlements, vouchers, claims,
 * attempts) are never cached, so their writes need not empty it.
 */
export const CATALOG_TABLES = [
  'products',
  'product_logos',
  'product_licenses',
  'licenses',
  'badges',
  'interfaces',
  'surrogates',
  'sub_products',
  'builds',
  'build_assets',
  'configurations',
  'dependencies',
  'exposures',
  'parameters',
  'tasks',
  'screenshots',
  'screenshot_images',
] as const;

/** Migration SQL: one statement-level trigger per table, NOTIFYing the table's name (./table-changes.ts). */
export const CATALOG_EVENTS_SQL = triggersSql(CATALOG_CHANNEL, 'notify_catalog_change', CATALOG_TABLES, 'notify_catalog');
