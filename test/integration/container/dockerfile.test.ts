/**
 * The repository's Dockerfile, built and run on a real Docker Engine: `hsp serve` as a
 * container that is configured from its environment alone, runs as a user other than root,
 * migrates its database at start, reports its health, keeps its data across a restart, and
 * hands its owner an administrator token (`docker exec … hsp serve token`); and, when
 * HSP_TEST_DATABASE_URL names a PostgreSQL server, the same image on PostgreSQL from a
 * `DATABASE_URL` alone.
 *
 * Docker Hub is out of reach here, so the image is built on a Node.js base image made from
 * this machine's own Node.js (test/helpers/node-base-image.ts); the build stage's `npm ci`
 * reaches the npm registry through the host's network, as a developer's `docker build` would.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scratchDatabase } from '../../helpers/marketplace.js';
import { freePort } from '../../helpers/serve-start.js';
import { importNodeBaseImage, nodeBaseImageMissing } from '../../helpers/node-base-image.js';
import { onlyIf, onPostgres } from '../../helpers/skips.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const dockerHost = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const env = { ...process.env, DOCKER_HOST: dockerHost };

/** The Docker CLI's output; on failure, the end of what it printed (a build's log is long). */
async function docker(...args: string[]): Promise<string> {
  try {
    return (await run('docker', args, { env, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`docker ${args[0]} failed:\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n')}`, { cause: error });
  }
}

async function engineMissing(): Promise<string | undefined> {
  try {
    await docker('version', '--format', '{{.Server.APIVersion}}');
    return nodeBaseImageMissing();
  } catch {
    return `needs a Docker Engine at DOCKER_HOST (${dockerHost}); .ci/run starts one`;
  }
}
const missing = await engineMissing();

/** One JSON request to the container's marketplace; undefined while it does not answer. */
function api(port: number, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> } | undefined> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', () => resolve(undefined));
    req.end(payload);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const suffix = randomBytes(4).toString('hex');
const baseImage = `hsp-test/node-base:${suffix}`;
const image = `hsp-test/marketplace:${suffix}`;
const container = `hsp-test-marketplace-${suffix}`;
const volume = `hsp-test-data-${suffix}`;
const postgresUrl = process.env.HSP_TEST_DATABASE_URL;

async function answered(port: number): Promise<true | undefined> {
  return (await api(port, 'GET', '/status'))?.status === 200 ? true : undefined;
}

onlyIf(!missing, missing ?? '').describe("the Dockerfile's hsp serve image", { timeout: 900_000 }, () => {
  let port: number;

  beforeAll(async () => {
    await importNodeBaseImage(baseImage, dockerHost);
    // Host networking: the build's npm reaches the registry as the host does, and the test
    // needs no published ports (the engine may run without its firewall rules).
    await docker('build', '--network', 'host', '--build-arg', `NODE_IMAGE=${baseImage}`, '--tag', image, root);
    port = await freePort();
    await docker('volume', 'create', volume);
    // Only environment: no flag is passed to `hsp serve`. A short health interval keeps the wait short.
    await docker('run', '--detach', '--name', container, '--network', 'host', '--env', `PORT=${port}`, '--volume', `${volume}:/data`, '--health-interval', '1s', image);
  }, 900_000);

  afterAll(async () => {
    await docker('rm', '--force', '--volumes', container).catch(() => undefined);
    await docker('volume', 'rm', '--force', volume).catch(() => undefined);
    await docker('rmi', '--force', image, baseImage).catch(() => undefined);
  });

  it('answers on its port once migrated, and Docker sees it healthy', async () => {
    const status = await until('GET /status', 120_000, async () => {
      const answer = await api(port, 'GET', '/status');
      return answer?.status === 200 ? answer : undefined;
    });
    expect(status.json.database).toMatchObject({ datetime: expect.any(String) });
    await until('a healthy container', 60_000, async () => ((await docker('inspect', '--format', '{{.State.Health.Status}}', container)) === 'healthy' ? true : undefined));
  });

  it('runs as an unprivileged user, with the data folder private to it', async () => {
    expect(await docker('exec', container, 'id', '-u')).toBe('1000');
    expect(await docker('exec', container, 'stat', '-c', '%a %u', '/data')).toBe('700 1000');
  });

  it('hands its owner an administrator token, and keeps the data across a restart', async () => {
    const token = await docker('exec', container, 'hsp', 'serve', 'token');
    const created = await api(port, 'POST', '/products', token, { product: { name: 'Survives restarts', mime_type: 'application/smart.v1' } });
    expect(created?.status).toBe(201);
    const id = (created!.json as { id: string }).id;

    await docker('restart', '--time', '15', container);
    await until('the restarted server', 120_000, () => answered(port));
    const again = await docker('exec', container, 'hsp', 'serve', 'token');
    const read = await api(port, 'GET', `/products/${id}`, again);
    expect(read).toMatchObject({ status: 200, json: { name: 'Survives restarts' } });
  });

  onPostgres.it('runs on PostgreSQL from DATABASE_URL alone', async () => {
    const database = await scratchDatabase(postgresUrl!);
    const name = `${container}-postgres`;
    try {
      const pgPort = await freePort();
      await docker('run', '--detach', '--name', name, '--network', 'host', '--env', `PORT=${pgPort}`, '--env', `DATABASE_URL=${database.databaseUrl}`, image);
      await until('the server on PostgreSQL', 120_000, () => answered(pgPort));
      // No data folder on PostgreSQL: the token is minted on the database.
      const token = await docker('exec', name, 'hsp', 'serve', 'token', '--database-url', database.databaseUrl);
      const created = await api(pgPort, 'POST', '/products', token, { product: { name: 'Kept in PostgreSQL', mime_type: 'application/smart.v1' } });
      expect(created?.status).toBe(201);
    } finally {
      await docker('rm', '--force', name).catch(() => undefined);
      await database.dropDatabase();
    }
  });
});
