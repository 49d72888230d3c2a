/**
 * A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) on a free
 * loopback port, anonymous, with htpasswd (Basic) auth, or with token auth against a token
 * service written here that signs its JWTs with a throwaway certificate the registry trusts:
 * the same flow as Docker Hub and GHCR. Images are pushed through the distribution API itself
 * (a config blob, one gzipped tar layer, a schema-2 manifest), so no Docker Engine is needed.
 *
 * Registries given the same storage folder serve the same images: tests push to an anonymous
 * one and read through the authenticated ones.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importPKCS8, SignJWT } from 'jose';

/** The registry program, when this machine has it (`apt-get install docker-registry`). */
export const REGISTRY_BINARY = findBinary('docker-registry');
/** Why registry tests are skipped here, or undefined when they can run. */
export const REGISTRY_MISSING = REGISTRY_BINARY
  ? undefined
  : 'needs docker-registry (apt-get install docker-registry)';

export type RegistryAuth =
  | { htpasswd: Record<string, string> }
  | { token: { realm: string; service: string; issuer: string; certificateFile: string } };

export interface RunningRegistry {
  /** `127.0.0.1:PORT`: the registry part of an image reference. */
  host: string;
  storage: string;
  stop(): Promise<void>;
}

export interface PushedImage {
  /** The manifest's digest, as the registry answered it. */
  digest: string;
  /** The manifest's bytes and type, for pushing it again or into an index. */
  manifest: Buffer;
  mediaType: string;
}

/** Starts a registry on 127.0.0.1 (port chosen by the system), ready when this resolves. */
export async function startRegistry(options: { storage?: string; auth?: RegistryAuth } = {}): Promise<RunningRegistry> {
  if (!REGISTRY_BINARY) throw new Error(REGISTRY_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'hsp-registry-'));
  const ownStorage = options.storage === undefined;
  const storage = options.storage ?? join(dir, 'data');
  const lines = [
    'version: 0.1',
    'log: { level: info, accesslog: { disabled: true } }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(storage)} }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } }`,
    // A fixed secret: registries sharing a storage folder must agree on upload state.
    `http: { addr: "127.0.0.1:0", secret: "hsp-test-registry-secret" }`,
  ];
  const auth = options.auth;
  if (auth && 'htpasswd' in auth) {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, Object.entries(auth.htpasswd).map(([user, password]) => `${user}:${bcrypt(password)}\n`).join(''));
    lines.push(`auth: { htpasswd: { realm: hsp-test, path: ${JSON.stringify(file)} } }`);
  } else if (auth && 'token' in auth) {
    const { realm, service, issuer, certificateFile } = auth.token;
    lines.push(`auth: { token: { realm: ${JSON.stringify(realm)}, service: ${JSON.stringify(service)}, issuer: ${JSON.stringify(issuer)}, rootcertbundle: ${JSON.stringify(certificateFile)} } }`);
  }
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);

  const child = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const host = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start within 10 s:\n${log.slice(-2000)}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-20_000);
      // distribution logs the address it really listens on, the port included.
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited (${code}) before listening:\n${log.slice(-2000)}`));
    });
  });
  // Keep draining its log so it never blocks on a full pipe.
  child.stderr!.resume();
  return {
    host,
    storage,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
      if (ownStorage) rmSync(storage, { recursive: true, force: true });
    },
  };
}

/**
 * Pushes a small image (one layer holding `content`) as `repository:tag` and returns its
 * manifest's digest. Different content gives a different digest: that is how a test moves a tag.
 */
export async function pushImage(host: string, repository: string, tag: string, content = `hello from ${repository}:${tag}\n`): Promise<PushedImage> {
  const layerTar = tarOf('hello.txt', Buffer.from(content));
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/hello.txt'] },
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
    }),
  );
  await pushBlob(host, repository, config);
  await pushBlob(host, repository, layer);
  const mediaType = 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: sha256(layer) }],
    }),
  );
  return { digest: await putManifest(host, repository, tag, manifest, mediaType), manifest, mediaType };
}

/** Pushes an OCI index of already pushed manifests (all as linux/amd64 variants) as `repository:tag`. */
export async function pushIndex(host: string, repository: string, tag: string, images: PushedImage[]): Promise<PushedImage> {
  const mediaType = 'application/vnd.oci.image.index.v1+json';
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: images.map((image, i) => ({ mediaType: image.mediaType, size: image.manifest.length, digest: image.digest, platform: { architecture: 'amd64', os: 'linux', variant: `v${i + 1}` } })),
    }),
  );
  return { digest: await putManifest(host, repository, tag, manifest, mediaType), manifest, mediaType };
}

async function pushBlob(host: string, repository: string, data: Buffer): Promise<void> {
  const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`starting a blob upload to ${host}/${repository}: HTTP ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', sha256(data));
  const put = await fetch(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: data });
  if (put.status !== 201) throw new Error(`uploading a blob to ${host}/${repository}: HTTP ${put.status} ${await put.text()}`);
}

async function putManifest(host: string, repository: string, tag: string, manifest: Buffer, mediaType: string): Promise<string> {
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: manifest });
  if (put.status !== 201) throw new Error(`pushing ${host}/${repository}:${tag}: HTTP ${put.status} ${await put.text()}`);
  const digest = put.headers.get('docker-content-digest');
  if (digest !== sha256(manifest)) throw new Error(`the registry answered digest ${digest} for a manifest whose digest is ${sha256(manifest)}`);
  return digest;
}

/** One request the token service saw: who asked (never the password) and for what. */
export interface TokenRequest {
  method: string;
  account?: string;
  /** `basic`, `refresh_token` or `anonymous`. */
  via: 'basic' | 'refresh_token' | 'anonymous';
  scopes: string[];
  service?: string;
  status: number;
}

export interface TokenService {
  /** The realm to configure in the registry. */
  realm: string;
  service: string;
  issuer: string;
  certificateFile: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

/**
 * A token service as Docker Hub runs one: `GET realm?service&scope` with optional Basic
 * credentials, or an OAuth2 `POST` with a refresh token. Anonymous callers get pull access to
 * `publicRepositories` only (an empty grant otherwise, as Docker Hub answers, so the registry
 * then refuses); users and refresh tokens get pull access to everything. Wrong credentials are a 401.
 */
export async function startTokenService(options: { users?: Record<string, string>; refreshTokens?: Record<string, string>; publicRepositories?: string[] } = {}): Promise<TokenService> {
  const dir = mkdtempSync(join(tmpdir(), 'hsp-token-'));
  const keyFile = join(dir, 'key.pem');
  const certificateFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certificateFile, '-days', '2', '-subj', '/CN=hsp test token service'], { stdio: 'ignore' });
  const key = await importPKCS8(readFileSync(keyFile, 'utf8'), 'ES256');
  // The registry checks the chain in `x5c` against its root bundle: this self-signed certificate.
  const der = Buffer.from(readFileSync(certificateFile, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64').toString('base64');
  const service = 'hsp-test-registry';
  const issuer = 'hsp-test-token-service';
  const users = options.users ?? {};
  const refreshTokens = options.refreshTokens ?? {};
  const publicRepositories = new Set(options.publicRepositories ?? []);
  const requests: TokenRequest[] = [];

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://token');
      let params = url.searchParams;
      if (req.method === 'POST') params = new URLSearchParams(await bodyOf(req));
      const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const record: TokenRequest = { method: req.method ?? '', via: 'anonymous', scopes, ...(params.get('service') ? { service: params.get('service')! } : {}), status: 200 };
      requests.push(record);
      const refuse = () => {
        record.status = 401;
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
      };
      let account: string | undefined;
      const authorization = req.headers.authorization;
      if (req.method === 'POST') {
        record.via = 'refresh_token';
        account = refreshTokens[params.get('refresh_token') ?? ''];
        if (params.get('grant_type') !== 'refresh_token' || account === undefined) return refuse();
      } else if (authorization?.startsWith('Basic ')) {
        record.via = 'basic';
        const [user, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
        if (user === undefined || users[user] === undefined || users[user] !== rest.join(':')) return refuse();
        account = user;
      }
      if (account !== undefined) record.account = account;
      const access = scopes.flatMap((scope) => {
        const [type, name] = scope.split(':');
        if (type !== 'repository' || !name) return [];
        return account !== undefined || publicRepositories.has(name) ? [{ type, name, actions: ['pull'] }] : [];
      });
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [der] })
        .setIssuer(issuer)
        .setSubject(account ?? '')
        .setAudience(service)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + 300)
        .setJti(randomUUID())
        .sign(key);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.method === 'POST' ? { access_token: token, expires_in: 300 } : { token, access_token: token, expires_in: 300 }));
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificateFile,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A bcrypt hash, the only kind distribution's htpasswd accepts, made by the C library's
 * crypt(3) through Perl (Debian's libxcrypt does bcrypt; Node's crypto does not).
 */
export function bcrypt(password: string): string {
  const salt = randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(22, 'a').slice(0, 22).replace(/.$/, 'e');
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2y$05$${salt}`], { encoding: 'utf8' });
  if (!hash.startsWith('$2y$05$') || hash.length !== 60) throw new Error('this machine\'s crypt(3) does not do bcrypt');
  return hash;
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A one-file ustar archive. */
function tarOf(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > 64 * 1024) req.destroy();
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/sbin')) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
