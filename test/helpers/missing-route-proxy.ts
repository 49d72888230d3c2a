/**
 * A marketplace without one of hsp's routes (the reference server, an older hsp): a plain HTTP
 * proxy in front of `hsp serve` that answers paths under `prefix` as Rails does for a route it
 * does not have, and passes everything else through.
 */
import { createServer, request, type Server } from 'node:http';

export async function withoutRoute(target: string, prefix: string): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    if (req.url?.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, error: 'Not Found' }));
      return;
    }
    const forwarded = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
