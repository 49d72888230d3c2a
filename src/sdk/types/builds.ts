import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** A deployable version of a product: a container image and/or an attached asset. */
export interface Build extends Record_ {
  product_id: string;
  version: string;
  release_notes: string | null;
  /** What the build needs from a platform (always an object here, whatever the server sent). */
  permissions: Record<string, unknown> | null;
  container_repository: string | null;
  container_tag: string | null;
  /**
   * `sha256:…`: the manifest digest the tag pointed to when the build was published, which
   * agents run instead of the tag. Only servers that keep it render it (`hsp serve` does).
   */
  container_digest?: string | null;
  validated_at: string | null;
  published_at: string | null;
  /** Whether an asset file is attached (`downloadAsset`); not rendered by Release 1 servers. */
  asset_available?: boolean;
  /** Release 1 servers only: the product's own version this build packages. */
  service_version?: string;
  /** In the specification's schema; the reference server does not render it. */
  software_version?: string | null;
  /** In the specification's schema; the reference server does not render it. */
  build_version?: string | null;
}

export interface BuildCreateParams extends ClientId {
  /** Unique per product. */
  version: string;
  container_repository?: string | null;
  container_tag?: string | null;
  /** `sha256:` and 64 lowercase hex digits; servers that keep no digest ignore it. */
  container_digest?: string | null;
  release_notes?: string | null;
  /** Sent as a JSON-encoded string: the reference server drops objects. */
  permissions?: Record<string, unknown> | null;
  validated_at?: string | null;
  /** Required by Release 1 servers, ignored by later ones. */
  service_version?: string;
}

export type BuildUpdateParams = Partial<Omit<BuildCreateParams, 'id'>>;

export interface BuildListParams extends ListParams {
  sort?: 'version' | (string & {});
}
