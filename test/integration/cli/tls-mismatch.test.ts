/**
 * What `hsp` says when TLS stands between it and the marketplace the wrong way: https:// for a
 * plain-HTTP server and the reverse, a self-signed certificate, one from an authority this
 * machine does not trust, and one for another host name. Each is one sentence with its remedy
 * (no OpenSSL text, no "is it running?"), from the SDK as a typed ConnectionError, printed by
 * the built bin/hsp as users run it, against the real `hsp serve` on loopback: plainly, or
 * behind a TLS terminator (as nginx or a load balancer would front it) whose certificates the
 * openssl command makes for this file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, expect } from 'vitest';
import { ConnectionError, Marketplace } from '../../../src/index.js';
import { spawnHsp, type HspExit } from '../../helpers/hsp-process.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { onlyIf } from '../../helpers/skips.js';

const m = useMarketplace();
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const withOpenssl = onlyIf(hasOpenssl, 'needs the openssl command to make test certificates');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-tls-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `hsp products list --url URL` with its own empty configuration and an attempt trace. */
async function productsList(url: string, env: Record<string, string> = {}): Promise<HspExit & { attempts: number }> {
  const exit = await spawnHsp(['products', 'list', '--url', url, '--debug'], { env: { HSP_CONFIG_DIR: join(dir, 'config'), ...env } }).exited;
  const attempts = exit.stderr.split('\n').filter((line) => line.startsWith('> GET ')).length;
  // Only the sentence: --debug's trace and details are left out.
  const said = exit.stderr
    .split('\n')
    .filter((line) => line && !/^[<>] /.test(line) && !line.startsWith('debug: '))
    .join('\n');
  return { ...exit, stderr: said, attempts };
}

withOpenssl.describe('a TLS mismatch', () => {
  let ca: string;
  const terminators: TlsServer[] = [];

  /** A certificate for the subject alternative names `san`, signed by the test authority (or by itself). */
  async function certificate(name: string, san: string, selfSigned = false): Promise<{ cert: string; key: string }> {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.crt`);
    const ext = join(dir, `${name}.ext`);
    await writeFile(ext, `subjectAltName=${san}\n`);
    const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', `/CN=${name}`];
    if (selfSigned) execFileSync('openssl', ['req', '-x509', ...newKey, '-out', cert, '-days', '2', '-addext', `subjectAltName=${san}`], { stdio: 'ignore' });
    else {
      const csr = join(dir, `${name}.csr`);
      execFileSync('openssl', ['req', ...newKey, '-out', csr], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], { stdio: 'ignore' });
    }
    return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
  }

  /** HTTPS in front of the marketplace with this certificate: the URL of its port. */
  async function terminator(identity: { cert: string; key: string }): Promise<string> {
    const { port: upstream } = new URL(m.url);
    const server = createTlsServer(identity, (socket) => {
      const backend = connect(Number(upstream), '127.0.0.1');
      socket.pipe(backend).pipe(socket);
      socket.on('error', () => backend.destroy());
      backend.on('error', () => socket.destroy());
    });
    // A client speaking plain HTTP fails the handshake: the terminator hangs up, as nginx's stream module or a TLS load balancer does.
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    terminators.push(server);
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  let trusted: string;
  let selfSigned: string;
  let otherName: string;
  beforeAll(async () => {
    ca = join(dir, 'ca.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', ca, '-days', '2', '-subj', '/CN=hsp test authority'], { stdio: 'ignore' });
    trusted = await terminator(await certificate('loopback', 'IP:127.0.0.1,DNS:localhost'));
    selfSigned = await terminator(await certificate('self-signed', 'IP:127.0.0.1', true));
    otherName = await terminator(await certificate('elsewhere', 'DNS:marketplace.example.org'));
  });
  afterAll(async () => {
    for (const server of terminators) await new Promise((resolve) => server.close(resolve));
  });

  withOpenssl.it('https:// to a plain-HTTP server: it does not speak TLS, did you mean http://', async () => {
    const hostPort = new URL(m.url).host;
    const run = await productsList(`https://${hostPort}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`The server at ${hostPort} does not speak TLS (HTTPS); did you mean http://${hostPort}?`);
    // The same answer every time: no retries spent on it.
    expect(run.attempts).toBe(1);
  });

  withOpenssl.it("the SDK's typed error suggests the marketplace URL itself, path and port kept", async () => {
    const error = (await new Marketplace({ baseUrl: `https://${new URL(m.url).host}/api/`, maxRetries: 0 }).session.status().catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.tls).toBe(true);
    expect(error.message).toMatch(/did you mean http:\/\/127\.0\.0\.1:\d+\/api\?$/);
  });

  withOpenssl.it('http:// to an HTTPS server: it speaks TLS, did you mean https://', async () => {
    const run = await productsList(`http://${trusted}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`The server at ${trusted} speaks TLS (HTTPS), not plain HTTP; did you mean https://${trusted}?`);
    expect(run.attempts).toBe(1);
  });

  withOpenssl.it('a certificate from an authority this machine does not trust names NODE_EXTRA_CA_CERTS, which then works', async () => {
    const run = await productsList(`https://${trusted}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `The TLS certificate of the server at ${trusted} is signed by a certificate authority this machine does not trust; set NODE_EXTRA_CA_CERTS to a PEM file holding that authority's certificate.`,
    );
    const fixed = await productsList(`https://${trusted}`, { NODE_EXTRA_CA_CERTS: ca });
    expect(fixed.stderr).toBe('No products.');
    expect(fixed.code).toBe(0);
  });

  withOpenssl.it('a self-signed certificate says so, and how to trust it', async () => {
    const run = await productsList(`https://${selfSigned}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `The server at ${selfSigned} presented a self-signed TLS certificate, which this machine does not trust; to trust it, set NODE_EXTRA_CA_CERTS to a PEM file holding that certificate.`,
    );
  });

  withOpenssl.it('a certificate for another host name names the names it is for', async () => {
    // Trusted authority, wrong name: only the name is wrong.
    const run = await productsList(`https://${otherName}`, { NODE_EXTRA_CA_CERTS: ca });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`The TLS certificate of the server at ${otherName} is for marketplace.example.org, not 127.0.0.1; use a URL with a name the certificate lists.`);
  });

  withOpenssl.it('a server that is not running is still "connection refused", with the hint to check it', async () => {
    const { port } = new URL(`http://${trusted}`);
    const closed = terminators.shift()!;
    await new Promise((resolve) => closed.close(resolve));
    const run = await productsList(`http://127.0.0.1:${port}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`Could not reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED).\nIs the marketplace running? Check --url (or HSP_URL).`);
  });
});
