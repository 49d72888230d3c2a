/**
 * The proxy for a WebSocket URL, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as the HTTP
 * transport does (the `ws` package ignores those variables itself).
 */
import { environment } from '../runtime.js';

export function proxyFor(target: URL, env: Record<string, string | undefined> = environment()): string | undefined {
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const proxy = secure
    ? env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy
    : env.HTTP_PROXY || env.http_proxy;
  if (!proxy) return undefined;
  return bypassed(target, env.NO_PROXY ?? env.no_proxy ?? '') ? undefined : proxy;
}

/** NO_PROXY: `*`, host names (with or without a leading dot: suffix match), optional `:port`. */
function bypassed(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'wss:' || target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const [name = '', entryPort] = entry.toLowerCase().replace(/^\[|\](?=:|$)/g, '').split(/:(?=\d+$)/);
      if (entryPort && entryPort !== port) return false;
      const bare = name.replace(/^\*?\./, '');
      return host === bare || host.endsWith(`.${bare}`);
    });
}
