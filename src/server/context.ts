/** What every route needs, made once at start-up and passed down (no globals). */
import type { Caller } from './auth/caller.js';
import type { CallerCache } from './auth/caller-cache.js';
import type { CatalogCache } from './cache/catalog-cache.js';
import type { Database } from './db/database.js';
import type { ResourceDefinition } from './resources/definition.js';
import type { ResourceRegistry } from './resources/registry.js';

export interface ServerConfig {
  /** Largest JSON body, in bytes. */
  bodyLimit: number;
  /** Largest uploaded file (logo, screenshot image, build asset), in bytes. */
  uploadLimit: number;
  /**
   * The Marketplace UI hosted elsewhere (MARKETPLACE_UI_URL, `hsp serve --ui-url`): where a finished
   * browser login goes when the client gave no `redirect_uri` (`?jwt=`, as the reference server),
   * and a `redirect_uri` under it is accepted (the token then in the fragment, `#jwt=`).
   */
  uiUrl?: string;
  /** Lifetime of marketplace tokens, in seconds. */
  tokenTtlSeconds: number;
  /** Longest one database query may run before it is cancelled (503), in milliseconds. */
  queryTimeoutMs: number;
  /** Origins whose pages may call the API from a browser (CORS); absent, empty or `*`: every origin. */
  corsOrigins?: string[];
}

export interface ServerContext {
  db: Database;
  /** HS256 key of marketplace tokens. */
  secret: Uint8Array;
  config: ServerConfig;
  resources: ResourceRegistry;
  /** Rendered catalogue answers (./cache/catalog-cache.ts), when the server keeps them. */
  catalogCache?: CatalogCache;
  /** Callers of bearer tokens verified before (./auth/caller-cache.ts), when the server keeps them. */
  callers?: CallerCache;
  /** The Marketplace UI is served under /ui/ (../server/ui.ts): sign-ins may return to it. */
  servesUi?: boolean;
  /** Verifies a bearer token issued by a registered identity provider (see auth/). */
  verifyProviderToken?: (token: string, issuer: string) => Promise<Caller | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Browser-facing routes (login redirects) answer whatever the Accept header says. */
    anyAccept?: boolean;
    /** The generic create and update routes: the resource whose fields the body must hold (checked before any permission). */
    writes?: ResourceDefinition;
    /** Answers decided by the catalogue tables and by who asks, nothing else: kept by ./cache/catalog-cache.ts. */
    catalogRead?: boolean;
  }
}
