/**
 * `ETag` on every successful GET, and `If-None-Match` answered 304 without the body: a client
 * that polls the catalogue downloads it again only when it changed. The tag is strong, a hash
 * of the exact bytes (or the one a route set itself, such as a file's checksum), so it says
 * the body is the same whoever asked. A signed-in answer differs by caller, so it says
 * `Cache-Control: private, no-cache`: no shared cache keeps it, and a private one revalidates
 * (a 304 then means the bytes are the same for this caller too). Answers that set cookies get
 * no tag (this server sets none; a future route that does must not be shared by accident).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** A strong entity tag for these bytes. SHA-1 for speed: a tag is compared, not trusted as a signature. */
export function etagOf(payload: string | Buffer): string {
  return `"${createHash('sha1').update(payload).digest('base64url')}"`;
}

export function registerEtags(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || reply.statusCode !== 200 || reply.hasHeader('set-cookie')) return payload;
    let etag = reply.getHeader('etag');
    if (etag === undefined) {
      // A stream is not read twice to be hashed.
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      etag = etagOf(payload);
      reply.header('etag', etag);
    }
    // What a caller with credentials sees is theirs: no shared cache keeps it (HTTP keeps such
    // answers out of shared caches already; this says so), and a private one asks again each time.
    if (req.headers.authorization !== undefined && !reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-cache');
    if (!noneMatch(req.headers['if-none-match'], String(etag))) return payload;
    reply.code(304);
    return null;
  });
}

/**
 * Does `If-None-Match` name this tag (or `*`)? RFC 9110 compares weakly here: `W/"x"`
 * matches `"x"`.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
}
