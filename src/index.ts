/** The hsp SDK: a typed client for every HSP Marketplace resource. */
export { Marketplace, type MarketplaceOptions, type RawRequest } from './sdk/client.js';
export * from './sdk/errors.js';
export { Page, PagePromise, type ListParams } from './sdk/pagination.js';
export type { Dialect, DialectOption } from './sdk/dialect.js';
export type { RequestOptions, RequestTrace, ResponseTrace, TokenProvider, Query } from './sdk/transport.js';
export { FileResponse, fileFromPath, type Uploadable } from './sdk/uploads.js';
export type * from './sdk/types/index.js';
export {
  SubscriptionRejectedError,
  SubscriptionTimeoutError,
  type PlatformEvent,
  type PlatformEventStream,
  type PlatformStreamEvents,
  type InstanceEvent,
  type InstanceEventModel,
  type InstanceEventType,
  type UnknownEvent,
} from './events/index.js';
export { parsePlatformEvent } from './events/platform.js';
export { VERSION } from './version.js';
