/**
 * `/healthz` and `/readyz` for a supervisor (systemd's watchdog scripts, a load balancer, a
 * Kubernetes probe): alive while the agent's loop runs; ready only once it is subscribed to its
 * platform's events and has reconciled since, so "ready" means "nothing is being missed".
 * Bound to loopback: it says what the host runs, which is nobody else's business.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  ready: boolean;
  /** Why not, in one sentence. */
  reason?: string;
}

export interface HealthProbe {
  /** The loop is running (false once it has stopped for good). */
  live(): boolean;
  readiness(): Readiness;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(port: number, probe: HealthProbe, host = '127.0.0.1'): Promise<HealthServer> {
  const server = createServer((req, res) => answer(req, res, probe));
  // Probes hold no long connections; do not let an idle one delay the shutdown.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, probe: HealthProbe): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { status: 'error', reason: 'Only GET and HEAD are answered here.' }, req);
  if (path === '/healthz') {
    return probe.live() ? send(res, 200, { status: 'ok' }, req) : send(res, 503, { status: 'stopping', reason: 'The agent has stopped.' }, req);
  }
  if (path === '/readyz') {
    const { ready, reason } = probe.readiness();
    return ready ? send(res, 200, { status: 'ready' }, req) : send(res, 503, { status: 'not ready', reason: reason ?? 'Not ready yet.' }, req);
  }
  send(res, 404, { status: 'error', reason: 'Not found: ask /healthz or /readyz.' }, req);
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, req: IncomingMessage): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}
