import type { Uploadable } from '../uploads.js';
import type { ClientId, Record_ } from './common.js';

export interface Screenshot extends Record_ {
  product_id: string;
  caption: string;
  image_updated_at?: string | null;
  /** Release 1 servers (Paperclip) and the specification. */
  image_file_name?: string | null;
  image_file_size?: number | null;
  image_content_type?: string | null;
}

export interface ScreenshotCreateParams extends ClientId {
  /** Unique per product. */
  caption: string;
  /** Sent as `screenshot[image]` in a multipart body. Release 1 servers require one. */
  image?: Uploadable;
}

export type ScreenshotUpdateParams = Partial<Omit<ScreenshotCreateParams, 'id'>>;

export type ScreenshotSize = 'large' | 'medium' | 'small';
