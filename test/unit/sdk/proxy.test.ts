/**
 * The default dispatcher honours HTTP(S)_PROXY / NO_PROXY, checked with a real forward proxy
 * and a real server on loopback (no msw here: it would hide the network).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Marketplace } from '../../../src/index.js';
import { tunnel } from '../../helpers/connect-tunnel.js';

let target: Server;
let proxy: Server;
let targetUrl: string;
let proxyUrl: string;
const proxied: string[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  target = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ message: 'healthy', product: { datetime: 'now' }, database: { datetime: 'now' }, seen: req.url }));
  });
  proxy = createServer((req, res) => {
    // Plain forward proxying (absolute-form request line).
    proxied.push(`${req.method} ${req.url}`);
    const upstream = httpRequest(req.url!, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on('connect', (req, socket, head) => {
    // CONNECT tunnelling, which undici uses for every target.
    proxied.push(`CONNECT ${req.url}`);
    tunnel(req, socket, head);
  });
  await Promise.all([new Promise<void>((r) => target.listen(0, '127.0.0.1', r)), new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))]);
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterEach(() => {
  process.env = { ...saved };
  proxied.length = 0;
});

afterAll(async () => {
  target.closeAllConnections();
  proxy.closeAllConnections();
  await Promise.all([new Promise((r) => target.close(r)), new Promise((r) => proxy.close(r))]);
});

function clearProxyEnv() {
  for (const key of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[key];
}

describe('proxy environment', () => {
  it('goes through HTTP_PROXY when it is set', async () => {
    clearProxyEnv();
    process.env.HTTP_PROXY = proxyUrl;
    const client = new Marketplace({ baseUrl: targetUrl, dialect: 'r2' });
    const status = await client.request<{ seen: string }>({ method: 'GET', path: '/status' });
    await client.close();
    expect(status.seen).toBe('/status');
    expect(proxied.length).toBeGreaterThan(0);
    expect(proxied.join(' ')).toContain(new URL(targetUrl).host);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    clearProxyEnv();
    process.env.HTTP_PROXY = proxyUrl;
    process.env.NO_PROXY = '127.0.0.1';
    const client = new Marketplace({ baseUrl: targetUrl, dialect: 'r2' });
    await client.request({ method: 'GET', path: '/status' });
    await client.close();
    expect(proxied).toEqual([]);
  });

  it('connects directly without proxy variables', async () => {
    clearProxyEnv();
    const client = new Marketplace({ baseUrl: targetUrl, dialect: 'r2' });
    await client.request({ method: 'GET', path: '/status' });
    await client.close();
    expect(proxied).toEqual([]);
  });
});
