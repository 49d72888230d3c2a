/** `/products/:product_id/screenshots`: captioned images of a product. */
import type { Queryable } from '../../db/database.js';
import type { ResourceDefinition, Row } from '../definition.js';
import { belowProduct } from './access.js';

export const screenshots: ResourceDefinition = {
  name: 'screenshots',
  table: 'screenshots',
  root: 'screenshot',
  path: '/products/:product_id/screenshots',
  parent: { param: 'product_id', column: 'product_id', resource: 'products' },
  fields: {
    product_id: { type: 'uuid' },
    caption: { type: 'text', required: true, sortable: true, maxLength: 600 },
  },
  defaultSort: 'created_at',
  listShape: 'envelope',
  deleteReturns: 'record',
  attachments: { image: { table: 'screenshot_images', key: 'screenshot_id', images: true } },
  ...belowProduct('r.product_id'),
  embed: (rows, { db }) => embedImageFields(db, rows),
};

/** `image_file_name`, `image_content_type`, `image_file_size`, `image_updated_at` (Paperclip's names), null without an image. */
export async function embedImageFields(db: Queryable, rows: Row[]): Promise<void> {
  if (!rows.length) return;
  const { rows: images } = await db.query<{ screenshot_id: string; filename: string; content_type: string; byte_size: number; updated_at: Date }>(
    'SELECT screenshot_id, filename, content_type, byte_size, updated_at FROM screenshot_images WHERE screenshot_id = ANY($1)',
    [rows.map((r) => r.id)],
  );
  const byId = new Map(images.map((image) => [image.screenshot_id, image]));
  for (const row of rows) {
    const image = byId.get(row.id as string);
    row.image_file_name = image?.filename ?? null;
    row.image_content_type = image?.content_type ?? null;
    row.image_file_size = image?.byte_size ?? null;
    row.image_updated_at = image ? new Date(image.updated_at).toISOString() : null;
  }
}
