/**
 * Tag → manifest digest against a real registry (CNCF distribution, Debian's docker-registry)
 * on loopback: anonymous; htpasswd (Basic) auth with credentials from a Docker config file
 * and from a credential helper; token auth as Docker Hub and GHCR run it, against a token
 * service that signs with a certificate the registry trusts; and every failure as one
 * sentence that names the registry and never carries a credential.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveManifestDigest, type ResolveOptions } from '../../../src/oci/manifest-digest.js';
import { RegistryError } from '../../../src/oci/registry-error.js';
import { pushImage, pushIndex, REGISTRY_MISSING, sha256, startRegistry, startTokenService, type RunningRegistry, type TokenService } from '../../helpers/oci-registry.js';
import { onlyIf } from '../../helpers/skips.js';

if (REGISTRY_MISSING) console.log(REGISTRY_MISSING);

const PASSWORD = 'correct horse battery staple';
const WRONG = 'wrong-password-1234';
const REFRESH_TOKEN = 'refresh-token-abcdef-0123456789';

let dir: string;
let plain: RunningRegistry;
let basic: RunningRegistry;
let tokens: TokenService;
let bearer: RunningRegistry;
/** The anonymous registry the tests push to (the CI's own when HSP_TEST_REGISTRY names one). */
let pushHost: string;

beforeAll(async () => {
  if (REGISTRY_MISSING) return;
  dir = mkdtempSync(join(tmpdir(), 'hsp-oci-'));
  plain = await startRegistry();
  [basic, tokens] = await Promise.all([
    startRegistry({ storage: plain.storage, auth: { htpasswd: { alice: PASSWORD } } }),
    startTokenService({ users: { bob: PASSWORD }, refreshTokens: { [REFRESH_TOKEN]: 'carol' }, publicRepositories: ['acme/public'] }),
  ]);
  bearer = await startRegistry({ storage: plain.storage, auth: { token: tokens } });
  pushHost = process.env.HSP_TEST_REGISTRY || plain.host;
}, 60_000);

afterAll(async () => {
  await Promise.all([plain?.stop(), basic?.stop(), bearer?.stop(), tokens?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A Docker config folder holding `config` (and helper programs on PATH); the env that selects it. */
function dockerEnv(config: unknown, helpers: Record<string, string> = {}): NodeJS.ProcessEnv {
  const folder = mkdtempSync(join(dir, 'docker-'));
  writeFileSync(join(folder, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  for (const [name, script] of Object.entries(helpers)) {
    const file = join(folder, `docker-credential-${name}`);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
  }
  return { DOCKER_CONFIG: folder, HOME: folder, PATH: `${folder}:${process.env.PATH}` };
}

const basicAuth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

async function failure(reference: string, options: ResolveOptions = {}): Promise<RegistryError> {
  const error = await resolveManifestDigest(reference, options).then(
    () => new Error(`resolving ${reference} succeeded`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  const message = (error as Error).message;
  // One sentence, and no secret of any test in it.
  expect(message).toMatch(/^[A-Z].*\.$/);
  expect(message).not.toContain('\n');
  for (const secret of [PASSWORD, WRONG, REFRESH_TOKEN, basicAuth('alice', PASSWORD), basicAuth('bob', PASSWORD)]) expect(message).not.toContain(secret);
  return error as RegistryError;
}

onlyIf(!REGISTRY_MISSING, REGISTRY_MISSING ?? '').describe('resolving a tag to its manifest digest', () => {
  describe('anonymous', () => {
    it('answers the digest the push made, and a new one once the tag is pushed again', async () => {
      const first = await pushImage(pushHost, 'acme/anon', '1.0', 'first');
      expect(await resolveManifestDigest(`${pushHost}/acme/anon:1.0`, { env: {} })).toEqual({
        reference: `${pushHost}/acme/anon:1.0`,
        registry: pushHost,
        digest: first.digest,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      });
      const moved = await pushImage(pushHost, 'acme/anon', '1.0', 'second');
      expect(moved.digest).not.toBe(first.digest);
      expect((await resolveManifestDigest(`${pushHost}/acme/anon:1.0`, { env: {} })).digest).toBe(moved.digest);
    });

    it('answers the digest of an OCI index when the tag names one (what the Engine pulls by)', async () => {
      const one = await pushImage(plain.host, 'acme/multi', 'single');
      const index = await pushIndex(plain.host, 'acme/multi', '2.0', [one]);
      const resolved = await resolveManifestDigest(`${plain.host}/acme/multi:2.0`, { env: {} });
      expect(resolved).toMatchObject({ digest: index.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    });

    it('says when the registry has no such tag or repository', async () => {
      await pushImage(plain.host, 'acme/anon-missing', '1.0');
      for (const reference of [`${plain.host}/acme/anon-missing:9.9`, `${plain.host}/acme/never-pushed:1.0`]) {
        const error = await failure(reference, { env: {} });
        expect(error.problem).toBe('not-found');
        expect(error.message).toMatch(new RegExp(`^The registry ${plain.host} has no image ${plain.host}/acme/(anon-missing:9\\.9|never-pushed:1\\.0); push it first \\(docker push .*\\)\\.$`));
      }
    });
  });

  describe('a registry that sends no digest header', () => {
    it('is read whole (GET) and the manifest hashed', async () => {
      const image = await pushImage(plain.host, 'acme/headless', '1.0');
      const proxy = await startProxy(plain.host, { stripDigestOnHead: true });
      try {
        const resolved = await resolveManifestDigest(`${proxy.host}/acme/headless:1.0`, { env: {} });
        expect(resolved.digest).toBe(image.digest);
        expect(resolved.digest).toBe(sha256(image.manifest));
        expect(proxy.methods).toEqual(['HEAD', 'GET']);
      } finally {
        await proxy.stop();
      }
    });

    it('refuses a manifest whose bytes do not match the digest the registry announced', async () => {
      await pushImage(plain.host, 'acme/tampered', '1.0');
      const proxy = await startProxy(plain.host, { stripDigestOnHead: true, tamperGet: true });
      try {
        const error = await failure(`${proxy.host}/acme/tampered:1.0`, { env: {} });
        expect(error.message).toMatch(new RegExp(`^The registry ${proxy.host} sent a manifest for ${proxy.host}/acme/tampered:1\\.0 whose bytes do not match the digest it announced \\(sha256:[0-9a-f]{12}…\\)\\.$`));
      } finally {
        await proxy.stop();
      }
    });
  });

  describe('Basic auth (htpasswd)', () => {
    let digest: string;
    beforeAll(async () => {
      digest = (await pushImage(plain.host, 'acme/private', '1.0')).digest;
    });

    it('refuses anonymous callers, and says to sign in', async () => {
      const error = await failure(`${basic.host}/acme/private:1.0`, { env: dockerEnv({}) });
      expect(error.problem).toBe('refused');
      expect(error.message).toBe(`The registry ${basic.host} refused ${basic.host}/acme/private without credentials: the repository does not exist, or it needs them (docker login ${basic.host}; hsp reads Docker's credentials).`);
    });

    it('uses the Docker config\u2019s auths: base64 user:password, or username and password', async () => {
      const viaAuth = dockerEnv({ auths: { [basic.host]: { auth: basicAuth('alice', PASSWORD) } } });
      expect((await resolveManifestDigest(`${basic.host}/acme/private:1.0`, { env: viaAuth })).digest).toBe(digest);
      // Keyed as a URL, as older docker logins wrote them.
      const viaFields = dockerEnv({ auths: { [`http://${basic.host}/v2/`]: { username: 'alice', password: PASSWORD } } });
      expect((await resolveManifestDigest(`${basic.host}/acme/private:1.0`, { env: viaFields })).digest).toBe(digest);
    });

    it('says the registry refused the credentials, naming the file but not the password', async () => {
      const env = dockerEnv({ auths: { [basic.host]: { auth: basicAuth('alice', WRONG) } } });
      const error = await failure(`${basic.host}/acme/private:1.0`, { env });
      expect(error.message).toBe(
        `The registry ${basic.host} refused ${basic.host}/acme/private to the credentials from the Docker config ${join(env.DOCKER_CONFIG!, 'config.json')}: the repository does not exist, or they do not grant access to it (docker login ${basic.host} to renew them).`,
      );
    });

    it('asks the credential helper named in credHelpers, or in credsStore, with the registry on stdin', async () => {
      // The helper answers only for this registry, as real ones do.
      const helper = `read server\nif [ "$1" = get ] && [ "$server" = "${basic.host}" ]; then printf '{"ServerURL":"%s","Username":"alice","Secret":"${PASSWORD}"}' "$server"; else echo "credentials not found in native keychain"; exit 1; fi`;
      const byHost = dockerEnv({ credHelpers: { [basic.host]: 'hsptest' }, auths: { [basic.host]: { auth: basicAuth('alice', WRONG) } } }, { hsptest: helper });
      expect((await resolveManifestDigest(`${basic.host}/acme/private:1.0`, { env: byHost })).digest).toBe(digest);
      const byStore = dockerEnv({ credsStore: 'hsptest', auths: { [basic.host]: {} } }, { hsptest: helper });
      expect((await resolveManifestDigest(`${basic.host}/acme/private:1.0`, { env: byStore })).digest).toBe(digest);
    });

    it('goes anonymous when the helper holds nothing, and says so when it is missing or fails', async () => {
      const empty = dockerEnv({ credsStore: 'empty' }, { empty: 'echo "credentials not found in native keychain"; exit 1' });
      expect((await failure(`${basic.host}/acme/private:1.0`, { env: empty })).message).toContain('without credentials');

      const missing = dockerEnv({ credHelpers: { [basic.host]: 'nowhere' } });
      expect((await failure(`${basic.host}/acme/private:1.0`, { env: missing })).message).toBe(
        `The credential helper docker-credential-nowhere is named for ${basic.host} in ${join(missing.DOCKER_CONFIG!, 'config.json')} but is not on the PATH; install it or fix the config.`,
      );

      const broken = dockerEnv({ credsStore: 'broken' }, { broken: `echo "${PASSWORD}"; echo "keychain locked" >&2; exit 3` });
      expect((await failure(`${basic.host}/acme/private:1.0`, { env: broken })).message).toBe('The credential helper docker-credential-broken failed (exit code 3): keychain locked.');

      const slow = dockerEnv({ credsStore: 'slow' }, { slow: 'exec sleep 30' });
      expect((await failure(`${basic.host}/acme/private:1.0`, { env: slow, helperTimeoutMs: 1000 })).message).toBe('The credential helper docker-credential-slow did not answer within 1 s.');
    });

    it('says when the Docker config is not JSON', async () => {
      const env = dockerEnv('{ "auths": ');
      expect((await failure(`${basic.host}/acme/private:1.0`, { env })).message).toBe(`The Docker config ${join(env.DOCKER_CONFIG!, 'config.json')} is not valid JSON; fix it (docker reads it too).`);
    });
  });

  describe('token auth (Bearer), as Docker Hub and GHCR do it', () => {
    let publicDigest: string;
    let privateDigest: string;
    beforeAll(async () => {
      publicDigest = (await pushImage(plain.host, 'acme/public', '1.0')).digest;
      privateDigest = (await pushImage(plain.host, 'acme/secret', '1.0')).digest;
    });

    it('fetches an anonymous token for a public repository', async () => {
      const before = tokens.requests.length;
      const env = dockerEnv({ auths: { 'ghcr.io': { auth: basicAuth('bob', PASSWORD) } } });
      expect((await resolveManifestDigest(`${bearer.host}/acme/public:1.0`, { env })).digest).toBe(publicDigest);
      expect(tokens.requests.slice(before)).toEqual([{ method: 'GET', via: 'anonymous', scopes: ['repository:acme/public:pull'], service: tokens.service, status: 200 }]);
    });

    it('refuses a private repository to anonymous callers, with a sentence', async () => {
      const error = await failure(`${bearer.host}/acme/secret:1.0`, { env: dockerEnv({}) });
      expect(error.message).toBe(`The registry ${bearer.host} refused ${bearer.host}/acme/secret without credentials: the repository does not exist, or it needs them (docker login ${bearer.host}; hsp reads Docker's credentials).`);
    });

    it('sends the Docker config\u2019s credentials to the token service (Basic), then the token to the registry', async () => {
      const before = tokens.requests.length;
      const env = dockerEnv({ auths: { [bearer.host]: { auth: basicAuth('bob', PASSWORD) } } });
      expect((await resolveManifestDigest(`${bearer.host}/acme/secret:1.0`, { env })).digest).toBe(privateDigest);
      expect(tokens.requests.slice(before)).toEqual([{ method: 'GET', via: 'basic', account: 'bob', scopes: ['repository:acme/secret:pull'], service: tokens.service, status: 200 }]);
    });

    it('exchanges an identity token (docker login\u2019s refresh token) with an OAuth2 POST', async () => {
      const before = tokens.requests.length;
      const env = dockerEnv({ auths: { [bearer.host]: { identitytoken: REFRESH_TOKEN } } });
      expect((await resolveManifestDigest(`${bearer.host}/acme/secret:1.0`, { env })).digest).toBe(privateDigest);
      expect(tokens.requests.slice(before)).toEqual([{ method: 'POST', via: 'refresh_token', account: 'carol', scopes: ['repository:acme/secret:pull'], service: tokens.service, status: 200 }]);
    });

    it('takes a helper\u2019s <token> answer as an identity token', async () => {
      const env = dockerEnv({ credHelpers: { [bearer.host]: 'oauth' } }, { oauth: `read server; printf '{"ServerURL":"%s","Username":"<token>","Secret":"${REFRESH_TOKEN}"}' "$server"` });
      expect((await resolveManifestDigest(`${bearer.host}/acme/secret:1.0`, { env })).digest).toBe(privateDigest);
    });

    it('says the token service refused the credentials, naming where they came from', async () => {
      const env = dockerEnv({ auths: { [bearer.host]: { auth: basicAuth('bob', WRONG) } } });
      const realm = new URL(tokens.realm).host;
      expect((await failure(`${bearer.host}/acme/secret:1.0`, { env })).message).toBe(
        `The token service of ${bearer.host} (${realm}) refused the credentials from the Docker config ${join(env.DOCKER_CONFIG!, 'config.json')}; check them (docker login ${bearer.host}).`,
      );
    });
  });

  describe('a registry that cannot answer', () => {
    it('says it cannot be reached', async () => {
      const closed = await closedPort();
      const error = await failure(`127.0.0.1:${closed}/acme/app:1.0`, { env: {} });
      expect(error.problem).toBe('unreachable');
      expect(error.message).toBe(`The registry 127.0.0.1:${closed} could not be reached (connection refused).`);
    });

    it('gives up after the time allowed', async () => {
      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as AddressInfo).port;
      try {
        const started = Date.now();
        const error = await failure(`127.0.0.1:${port}/acme/app:1.0`, { env: {}, timeoutMs: 1000 });
        expect(error.message).toBe(`The registry 127.0.0.1:${port} did not answer within 1 s.`);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        silent.closeAllConnections();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('refuses a manifest larger than 4 MiB without reading it all', async () => {
      const huge = await fakeRegistry((req, res) => {
        if (req.method === 'HEAD') return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end();
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 64 && res.write(chunk)) sent++;
          if (sent < 64) res.once('drain', pump);
          else res.end();
        };
        pump();
      });
      try {
        expect((await failure(`${huge.host}/acme/app:1.0`, { env: {} })).message).toBe(`The registry ${huge.host} answered with more than 4 MiB; that is not a manifest or a token.`);
      } finally {
        await huge.stop();
      }
    });

    it('will not send credentials to a token service over plain HTTP beyond loopback', async () => {
      const liar = await fakeRegistry((_req, res) => res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://tokens.example.org/token",service="x"' }).end());
      try {
        const env = dockerEnv({ auths: { [liar.host]: { auth: basicAuth('bob', PASSWORD) } } });
        expect((await failure(`${liar.host}/acme/app:1.0`, { env })).message).toBe(`The registry ${liar.host} named a token service over plain HTTP (tokens.example.org); only loopback may be used without TLS.`);
      } finally {
        await liar.stop();
      }
    });
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function fakeRegistry(handler: Parameters<typeof createServer>[1]): Promise<{ host: string; stop(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards to a real registry, dropping the digest header of HEAD answers (and, if asked, changing GET bodies). */
async function startProxy(target: string, options: { stripDigestOnHead?: boolean; tamperGet?: boolean }) {
  const methods: string[] = [];
  const proxy = await fakeRegistry((req, res) => {
    methods.push(req.method ?? '');
    const [hostname, port] = target.split(':');
    const upstream = httpRequest({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (answer) => {
      const headers = { ...answer.headers };
      if (options.stripDigestOnHead && req.method === 'HEAD') delete headers['docker-content-digest'];
      if (options.tamperGet && req.method === 'GET') {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
          res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(body.length) }).end(body);
        });
        return;
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  return { ...proxy, methods };
}
