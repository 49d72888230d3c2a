/**
 * The Fastify application: CORS, content negotiation, bounded bodies (./bodies.ts),
 * authentication, routes and one error shape. Start-up (database, seeding, listening) is in
 * ./index.ts.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { checkAgentRoute, checkAgentWrite } from './auth/agent-access.js';
import { authenticate } from './auth/authenticate.js';
import type { ANONYMOUS } from './auth/caller.js';
import { clip, registerBodyParsers, screenBody, screenQuery } from './bodies.js';
import type { ServerContext } from './context.js';
import { DatabaseUnavailableError } from './db/database.js';
import { Cors } from './cors.js';
import { registerEtags } from './etag.js';
import { fromUnstorableValue, HttpError } from './errors.js';
import { checkBodyFields } from './resources/values.js';
import { registerCrud } from './routes/crud.js';
import { isMultipartRequest } from './uploads.js';
import { registerRoutes } from './routes/index.js';
import { registerUi, UI_PATH, type UiSite } from './ui.js';
import { processTelemetry } from '../telemetry/process-telemetry.js';

export interface AppOptions {
  /** Called with unexpected errors (500s); the client never sees their details. */
  onInternalError?: (error: unknown) => void;
  logger?: boolean;
  /** The Marketplace UI to serve under /ui/ (./ui.ts); none when absent. */
  ui?: UiSite;
}

export async function buildApp(context: ServerContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const cors = new Cors(context.config.corsOrigins);
  const app = Fastify({
    // Request logs never carry codes or tokens from login redirects.
    logger: options.logger ? { serializers: { req: (req) => ({ method: req.method, url: redactQuery(req.url) }) } } : false,
    bodyLimit: context.config.bodyLimit,
    // `/products/x.json` is `/products/x`, as on the reference server; the UI's files keep their names.
    rewriteUrl: (req) => (req.url?.startsWith(UI_PATH) ? req.url : (req.url ?? '/').replace(/\.json(?=$|\?)/, '')),
    routerOptions: { ignoreTrailingSlash: true },
    trustProxy: true,
    // Refused before routing: our one error shape, a sentence rather than an echo of the URL.
    frameworkErrors: (error, req, frameworkReply) => {
      const reply = frameworkReply as unknown as FastifyReply;
      const http = toHttpError(error);
      cors.decorate(req, reply);
      return reply.code(http.status).type('application/json; charset=utf-8').send(http.body());
    },
  });

  app.decorateRequest('caller', null as unknown as typeof ANONYMOUS);

  // A span and a duration per request, when `hsp serve` runs with OpenTelemetry on (nothing is loaded otherwise).
  const telemetry = processTelemetry();
  if (telemetry) (await import('../telemetry/http-requests.js')).recordRequests(app, telemetry);

  // First: preflights are answered before content negotiation and sign-in, and every answer
  // (errors included) carries the CORS headers.
  cors.register(app);
  registerBodyParsers(app);
  // Before content negotiation: a browser that asks for HTML only is sent to the UI, not refused.
  if (options.ui) registerUi(app, options.ui);

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.anyAccept) return;
    const suffix = /\.json(?=$|\?)/.test(req.originalUrl);
    if (!suffix && !acceptsJson(req.headers.accept)) {
      throw new HttpError(406, "This service only responds to JSON requests. Please set your 'Accept' header to 'application/json'.");
    }
  });

  // A query the database cannot hold is the client's mistake, whoever asks.
  app.addHook('onRequest', async (req) => {
    screenQuery(req.query);
  });

  // Before the body is read: an upload from nobody is refused without reading its bytes
  // (every write needs a signed-in caller).
  app.addHook('onRequest', async (req) => {
    req.caller = await authenticate(req.headers.authorization, context);
    // Agent tokens are limited to what an agent needs, for every route alike.
    checkAgentRoute(req.caller, req.method, req.routeOptions.url, req.params as Record<string, string>);
    if (!req.caller.user && isMultipartRequest(req)) {
      throw new HttpError(401, 'You need to sign in to upload files.');
    }
  });

  // The body is judged before any permission check (and after multipart bodies are assembled,
  // in preValidation): what no caller may send gets its 400 or 422 whoever sends it.
  app.addHook('preHandler', async (req) => {
    if (req.body === undefined) return;
    screenBody(req.body);
    const definition = req.routeOptions.config.writes;
    if (definition) checkBodyFields(definition, req.body);
  });

  // After authentication: the caller is part of what decides a cached answer.
  context.catalogCache?.register(app);
  registerEtags(app);

  app.addHook('preHandler', async (req) => {
    await checkAgentWrite(context.db, req.caller, req.method, req.routeOptions.url, req.params as Record<string, string>, req.body);
  });

  app.setErrorHandler((error: FastifyError | HttpError, _req, reply) => {
    const http = toHttpError(error);
    if (http.status >= 500) options.onInternalError?.(error);
    reply.code(http.status).type('application/json; charset=utf-8').send(http.body());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    // A sentence, not an echo: a hostile path may be kilobytes long.
    const error = new HttpError(404, `No route for ${req.method} ${clip(path, 120)}.`);
    reply.code(404).send(error.body());
  });

  await registerRoutes(app, context);
  registerCrud(app, context);
  return app;
}

function toHttpError(error: FastifyError | HttpError): HttpError {
  if (error instanceof HttpError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'The request body is empty; send a JSON object.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new HttpError(413, 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'Send JSON (application/json), a form (application/x-www-form-urlencoded) or, for files, multipart/form-data.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new HttpError(415, 'This upload must be sent as multipart/form-data.');
    case 'FST_ERR_BAD_URL':
      return new HttpError(400, 'The URL is not valid: a percent-encoded part of its path is not UTF-8.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HttpError(404, 'No record has an id that long: a path segment has at most 100 characters.');
  }
  if (error instanceof SyntaxError) return new HttpError(400, 'The request body is not valid JSON.');
  // A query past its time limit (or the embedded database restarting): its sentence, as a 503.
  if (error instanceof DatabaseUnavailableError) return new HttpError(503, error.message);
  // The multipart parser's own complaints (busboy): a truncated body, a missing or oversized boundary.
  if (error.statusCode === undefined && /multipart data|^Multipart: Boundary not found|^Boundary required|^The needle cannot/.test(error.message)) {
    return new HttpError(400, 'The multipart body is malformed: it is cut short, or its boundary is missing or too long.');
  }
  const unstorable = fromUnstorableValue(error);
  if (unstorable) return unstorable;
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own 4xx messages, ended as the sentences every other refusal is.
    return new HttpError(error.statusCode, /[.!?]$/.test(error.message) ? error.message : `${error.message}.`);
  }
  return new HttpError(500, 'Something went wrong on the server; it has been logged.');
}

/** HTTP content negotiation: absent, `*\/*`, `application/*`, `application/json` or `*+json` with q > 0. */
export function acceptsJson(header: string | undefined): boolean {
  if (!header || !header.trim()) return true;
  return header.split(',').some((range) => {
    const [type = '', ...parameters] = range.trim().toLowerCase().split(';');
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) return false;
    return type === '*/*' || type === 'application/*' || /json/.test(type);
  });
}

const SECRET_PARAMS = /([?&](?:code|jwt|state|token|access_token|id_token)=)[^&#]*/gi;

/** `/sessions?code=abc&state=xyz` → `/sessions?code=[REDACTED]&state=[REDACTED]`. */
export function redactQuery(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
}
