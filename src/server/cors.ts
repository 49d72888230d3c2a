/**
 * CORS, as the reference server answers it (rack-cors): by default every origin may call the
 * API from a browser (`Access-Control-Allow-Origin: *`; there are no cookies, a page sends its
 * bearer token itself), with the methods below, the headers the preflight asks for, and
 * preflights cached for two hours. `corsOrigins` restricts it to a list: other origins get no
 * CORS headers, and their preflights a 403 with a sentence.
 *
 * Preflights (`OPTIONS`, any path) are answered here, before content negotiation and sign-in:
 * a browser sends neither `Accept: application/json` nor a token with them. Every answer,
 * errors included, carries the headers, so a page can read why it was refused. WebSocket
 * upgrades never reach Fastify and are not affected.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

export const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD';
/** Answer headers a page may read beyond the always-safe ones. */
const EXPOSED_HEADERS = 'Location, X-Total-Count, ETag, Content-Disposition';
const MAX_AGE_SECONDS = '7200';
/** A header name (RFC 9110 token); anything else asked for in a preflight is not echoed. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/** The `Access-Control-Allow-Origin` for a request's `Origin`, or `undefined` when none is given. */
type OriginPolicy = (origin: string | undefined) => string | undefined;

export class Cors {
  private readonly allow: OriginPolicy;

  /** Throws when an entry of `corsOrigins` is not an origin (a start-up mistake, said in a sentence). */
  constructor(corsOrigins: readonly string[] | undefined) {
    this.allow = originPolicy(corsOrigins);
  }

  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.method !== 'OPTIONS') return;
      const origin = req.headers.origin;
      if (origin !== undefined && this.allow(origin) === undefined) {
        throw new HttpError(403, `Pages from ${JSON.stringify(origin.slice(0, 200))} may not call this marketplace; its CORS origins do not include them.`);
      }
      const requested = requestedHeaders(req.headers['access-control-request-headers']);
      if (requested) reply.header('access-control-allow-headers', requested);
      reply.header('access-control-max-age', MAX_AGE_SECONDS).header('allow', CORS_METHODS);
      return reply.code(200).send();
    });

    app.addHook('onSend', async (req, reply, payload) => {
      this.decorate(req, reply);
      return payload;
    });
  }

  /** The headers of every answer; also for answers given before routing (a malformed URL). */
  decorate(req: { headers: IncomingHttpHeaders }, reply: FastifyReply): void {
    reply.header('vary', withVary(reply.getHeader('vary'), ['Accept', 'Origin']));
    const origin = this.allow(req.headers.origin);
    if (origin === undefined) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-methods', CORS_METHODS);
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  }
}

/**
 * Absent, empty or holding `*`: every origin, answered `*` whether or not the request names
 * one (as the reference server does). Otherwise only the listed origins, each answered with
 * itself; a request without `Origin` is not a cross-origin one and gets nothing.
 */
function originPolicy(corsOrigins: readonly string[] | undefined): OriginPolicy {
  if (!corsOrigins?.length || corsOrigins.includes('*')) return () => '*';
  const listed = new Set(corsOrigins.map((origin) => {
    const normal = normaliseOrigin(origin);
    if (!normal) throw new Error(`The CORS origin ${JSON.stringify(origin)} is not an origin such as https://app.example.com.`);
    return normal;
  }));
  return (origin) => {
    const normal = origin === undefined ? undefined : normaliseOrigin(origin);
    return normal !== undefined && listed.has(normal) ? normal : undefined;
  };
}

/** `HTTPS://App.Example.com:443/` → `https://app.example.com`; `null` (file pages, sandboxes) stays `null`. */
export function normaliseOrigin(origin: string): string | undefined {
  if (origin === 'null') return 'null';
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/** The preflight's requested headers, echoed back when they are header names. */
function requestedHeaders(header: string | string[] | undefined): string | undefined {
  const names = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((name) => name.trim()).filter((name) => TOKEN.test(name));
  return names.length ? names.slice(0, 50).join(', ') : undefined;
}

/** A `Vary` holding the existing names plus `names`, each once. */
function withVary(existing: unknown, names: string[]): string {
  const have = typeof existing === 'string' ? existing.split(',').map((name) => name.trim()).filter(Boolean) : [];
  if (have.includes('*')) return '*';
  const lower = new Set(have.map((name) => name.toLowerCase()));
  return [...have, ...names.filter((name) => !lower.has(name.toLowerCase()))].join(', ');
}
