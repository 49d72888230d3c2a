/**
 * An SDK client for a marketplace the sign-in commands name themselves (the one being signed
 * in to, or a profile being signed out of), with the same `--debug` trace as `ctx.client()`:
 * the SDK redacts the Authorization header and secret query parameters in traces.
 */
import type { Marketplace } from '../../../index.js';
import type { CliContext } from '../../context.js';

export async function marketplaceFor(ctx: CliContext, url: string, token?: string): Promise<Marketplace> {
  const { Marketplace } = await import('../../../index.js');
  const { stderr } = ctx.io;
  const debug = !!ctx.options.debug;
  return new Marketplace({
    baseUrl: url,
    token,
    userAgent: 'hsp-cli',
    onRequest: debug ? (t) => stderr.write(`> ${t.method} ${t.url} (attempt ${t.attempt})${t.headers.authorization ? ` authorization: ${t.headers.authorization}` : ''}\n`) : undefined,
    onResponse: debug ? (t) => stderr.write(`< ${t.status} ${t.method} ${t.url} in ${Math.round(t.durationMs)} ms${t.retryInMs !== undefined ? `, retrying in ${t.retryInMs} ms` : ''}\n`) : undefined,
  });
}
