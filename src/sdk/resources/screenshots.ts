import { randomUUID } from '../../runtime.js';
import { InvalidArgumentError } from '../errors.js';
import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Screenshot,
  ScreenshotCreateParams,
  ScreenshotSize,
  ScreenshotUpdateParams,
} from '../types/screenshots.js';
import type { FileResponse } from '../uploads.js';

const shape = { root: 'screenshot' } as const;
const SIZES: readonly ScreenshotSize[] = ['large', 'medium', 'small'];

const collection = (productId: string) => `/products/${productId}/screenshots`;
const member = (productId: string, id: string) => `${collection(uuid('productId', productId))}/${uuid('id', id)}`;

/**
 * `/products/:product_id/screenshots`. With an image, creates and updates go as multipart
 * (`screenshot[image]`). The reference server takes `product_id` from the body, not the URL,
 * so creates send it there too.
 */
export class Screenshots extends APIResource {
  list(productId: string, options?: RequestOptions): PagePromise<Screenshot> {
    return this._list<Screenshot>(() => collection(uuid('productId', productId)), undefined, options);
  }

  async retrieve(productId: string, id: string, options?: RequestOptions): Promise<Screenshot> {
    return this._retrieve<Screenshot>(member(productId, id), options);
  }

  /**
   * Adds a screenshot; the caption is unique per product. With an `image` the body is
   * multipart and still carries a client-chosen `id`, so a retried POST cannot duplicate it.
   */
  async create(productId: string, params: ScreenshotCreateParams, options?: RequestOptions): Promise<Screenshot> {
    const product_id = uuid('productId', productId);
    requireText(params, ['caption'], 'screenshots.create');
    const { image, ...attrs } = params;
    if (image === undefined) return this._create<Screenshot>(collection(product_id), shape, attrs, { product_id }, options);
    const id = attrs.id === undefined ? randomUUID() : uuid('id', attrs.id);
    const path = collection(product_id);
    return this._upload<Screenshot>('POST', path, shape, { ...attrs, product_id, id }, { image }, options);
  }

  /** Changes the caption and/or replaces the image (multipart when an image is given). */
  async update(productId: string, id: string, params: ScreenshotUpdateParams, options?: RequestOptions): Promise<Screenshot> {
    const path = member(productId, id);
    const { image, ...attrs } = params ?? {};
    if (image === undefined) return this._update<Screenshot>(path, shape, attrs, options);
    return this._upload<Screenshot>('PATCH', path, shape, attrs, { image }, options);
  }

  async delete(productId: string, id: string, options?: RequestOptions): Promise<Screenshot | null> {
    return this._delete<Screenshot>(member(productId, id), options);
  }

  /** The image in one rendition (`GET …/:id/large|medium|small`); some servers send the original for every size. */
  async image(productId: string, id: string, size: ScreenshotSize = 'large', options?: RequestOptions): Promise<FileResponse> {
    const path = member(productId, id);
    if (!SIZES.includes(size)) {
      throw new InvalidArgumentError('size', `Screenshot size must be one of ${SIZES.join(', ')}, got "${String(size)}".`);
    }
    return this._download(`${path}/${size}`, options);
  }
}
