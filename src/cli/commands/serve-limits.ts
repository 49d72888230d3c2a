/**
 * The limits of `hsp serve`, from its flags or else the environment: CORS origins, the time
 * one database query may take and a PostgreSQL server may take to answer a connection, body
 * and upload sizes, and the event stream's caps. Each bad
 * value is one sentence naming the flag (or variable) and what it accepts.
 */
import type { CableServerOptions } from '../../server/cable/server.js';
import type { ServerConfig } from '../../server/context.js';
import { parseDuration } from '../../agent/duration.js';
import { defined } from '../../manifest/defined.js';
import { normaliseOrigin } from '../../server/cors.js';
import { parseSize } from '../../size.js';
import { UsageError } from '../errors.js';

export interface ServeLimitOptions {
  corsOrigin?: string[];
  queryTimeout?: string;
  connectTimeout?: string;
  bodyLimit?: string;
  uploadLimit?: string;
  cableMaxSubscriptions?: string;
  cableMaxConnectionsPerAddress?: string;
  cableMaxAnonymous?: string;
  cableMaxBuffered?: string;
  trustForwardedFor?: boolean;
}

export interface ServeLimits {
  config: Partial<ServerConfig>;
  cable: CableServerOptions;
  /** How long a PostgreSQL server may take to accept a connection (the server's default when absent). */
  connectTimeoutMs?: number;
}

export function serveLimits(options: ServeLimitOptions, env: NodeJS.ProcessEnv): ServeLimits {
  const config: Partial<ServerConfig> = {};
  const cable: CableServerOptions = {};

  const origins = options.corsOrigin ?? env.HSP_CORS_ORIGINS?.split(',');
  if (origins) {
    const what = options.corsOrigin ? '--cors-origin' : 'HSP_CORS_ORIGINS';
    config.corsOrigins = origins.map((origin) => origin.trim()).filter(Boolean);
    for (const origin of config.corsOrigins) {
      if (origin !== '*' && !normaliseOrigin(origin)) throw new UsageError(`${what} must name origins such as https://app.example.com, not "${origin}".`);
    }
  }

  const pick = (flag: string, value: string | undefined, variable: string) =>
    value !== undefined ? { value, name: flag } : env[variable] ? { value: env[variable], name: variable } : undefined;
  const checked = <T>(found: { value: string; name: string } | undefined, parse: (text: string, name: string) => T): T | undefined => {
    if (!found) return undefined;
    try {
      return parse(found.value, found.name);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };

  config.queryTimeoutMs = checked(pick('--query-timeout', options.queryTimeout, 'HSP_QUERY_TIMEOUT'), parseDuration);
  config.bodyLimit = checked(pick('--body-limit', options.bodyLimit, 'HSP_BODY_LIMIT'), parseSize);
  config.uploadLimit = checked(pick('--upload-limit', options.uploadLimit, 'HSP_UPLOAD_LIMIT'), parseSize);
  cable.maxSubscriptionsPerConnection = checked(pick('--cable-max-subscriptions', options.cableMaxSubscriptions, 'HSP_CABLE_MAX_SUBSCRIPTIONS'), count);
  cable.maxConnectionsPerAddress = checked(
    pick('--cable-max-connections-per-address', options.cableMaxConnectionsPerAddress, 'HSP_CABLE_MAX_CONNECTIONS_PER_ADDRESS'),
    count,
  );
  cable.maxAnonymousConnections = checked(pick('--cable-max-anonymous', options.cableMaxAnonymous, 'HSP_CABLE_MAX_ANONYMOUS'), count);
  cable.maxBufferedBytes = checked(pick('--cable-max-buffered', options.cableMaxBuffered, 'HSP_CABLE_MAX_BUFFERED'), parseSize);
  cable.trustForwardedFor = options.trustForwardedFor || /^(1|true|yes)$/i.test(env.HSP_TRUST_FORWARDED_FOR ?? '') || undefined;
  if (config.queryTimeoutMs === 0) throw new UsageError('The query time limit must be longer than 0 ms.');
  return defined({ config: defined(config), cable: defined(cable), connectTimeoutMs: connectTimeoutOf(options, env) });
}

function count(text: string, name: string): number {
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) < 1) throw new RangeError(`${name} must be a whole number of at least 1, not "${text}".`);
  return Number(text);
}

/**
 * `--connect-timeout`, else HSP_CONNECT_TIMEOUT, in milliseconds (`undefined`: the server's
 * default). `hsp serve token` reads it too: it connects to the same database.
 */
export function connectTimeoutOf(options: { connectTimeout?: string }, env: NodeJS.ProcessEnv): number | undefined {
  const [name, text] = options.connectTimeout !== undefined ? ['--connect-timeout', options.connectTimeout] : ['HSP_CONNECT_TIMEOUT', env.HSP_CONNECT_TIMEOUT || undefined];
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(text, name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (ms === 0) throw new UsageError(`${name} must be longer than 0 ms.`);
  return ms;
}
