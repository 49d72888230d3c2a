/**
 * `hsp publish` pins the build's image: it looks the tag up in a real registry (Debian's
 * docker-registry on loopback), records the manifest digest on the build, shows it in the
 * plan, and treats a tag pushed again under a published version as the content change of an
 * immutable release. `--no-resolve` skips the lookup; a registry that cannot answer stops the
 * publish with one sentence that says so; the user's Docker credentials are used and never shown.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { pushImage, REGISTRY_MISSING, startRegistry, type RunningRegistry } from '../../helpers/oci-registry.js';
import { onlyIf } from '../../helpers/skips.js';

if (REGISTRY_MISSING) console.log(REGISTRY_MISSING);

const m = useMarketplace();
const PASSWORD = 'publisher-secret-9876';
let dir: string;
let registry: RunningRegistry;
let guarded: RunningRegistry;
let emptyDockerConfig: string;

beforeAll(async () => {
  if (REGISTRY_MISSING) return;
  dir = mkdtempSync(join(tmpdir(), 'hsp-pinned-publish-'));
  registry = await startRegistry();
  guarded = await startRegistry({ storage: registry.storage, auth: { htpasswd: { publisher: PASSWORD } } });
  emptyDockerConfig = mkdtempSync(join(dir, 'docker-'));
}, 60_000);

afterAll(async () => {
  await Promise.all([registry?.stop(), guarded?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment of a signed-in publisher whose Docker config is `dockerConfig` (none by default). */
const env = (dockerConfig = emptyDockerConfig) => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: join(dir, 'hsp'), DOCKER_CONFIG: dockerConfig });

let products = 0;
/** An hsp.yaml for a product of its own, running `image`. */
function manifest(image: string, version = '1.0.0'): { file: string; name: string } {
  const name = `Pinned App ${++products} ${Date.now()}`;
  const folder = mkdtempSync(join(dir, 'product-'));
  const file = join(folder, 'hsp.yaml');
  writeFileSync(
    file,
    ['product:', `  name: ${name}`, 'build:', `  version: ${version}`, `  image: ${image}`, '  configurations:', '    - name: default', '      tasks:', '        - name: web', '          ports: [8080]', ''].join('\n'),
  );
  return { file, name };
}

async function buildOf(name: string) {
  for await (const product of m.admin.products.list({ perPage: 100 })) {
    if (product.name !== name) continue;
    const page = await m.admin.builds.list(product.id, { perPage: 100 });
    return page.items[0];
  }
  return undefined;
}

// Each test runs hsp publish several times against a real marketplace and registry: minutes on a busy machine.
onlyIf(!REGISTRY_MISSING, REGISTRY_MISSING ?? '').describe('hsp publish and image digests', { timeout: 90_000 }, () => {
  it('records the digest the tag points to, shows it in the plan, and changes nothing when run again', async () => {
    const pushed = await pushImage(registry.host, 'acme/pinned', '1.0', 'v1');
    const { file, name } = manifest(`${registry.host}/acme/pinned:1.0`);

    const plan = json<PlanDocument>(await hsp(['publish', file, '--dry-run', '--json'], { env: env() }));
    expect(plan.build.image).toEqual({ reference: `${registry.host}/acme/pinned:1.0`, digest: pushed.digest, source: 'registry' });

    const run = ok(await hsp(['publish', file], { env: env() }));
    expect(run.stdout).toContain(`  image ${registry.host}/acme/pinned:1.0 is ${pushed.digest}\n`);
    expect(await buildOf(name)).toMatchObject({ container_repository: `${registry.host}/acme/pinned`, container_tag: '1.0', container_digest: pushed.digest });

    const again = ok(await hsp(['publish', file], { env: env() }));
    expect(again.stdout).toContain(`Nothing to change: ${m.url} already matches ${file}.`);
  });

  it('refuses a tag pushed again under a published version, in one sentence, and --force records the new digest', async () => {
    const first = await pushImage(registry.host, 'acme/moving', '2.0', 'first');
    const { file, name } = manifest(`${registry.host}/acme/moving:2.0`, '2.0.0');
    ok(await hsp(['publish', file], { env: env() }));
    const moved = await pushImage(registry.host, 'acme/moving', '2.0', 'second');

    const refused = await hsp(['publish', file], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: Build 2.0.0 runs the image ${first.digest} in the marketplace, but ${registry.host}/acme/moving:2.0 now points to ${moved.digest}: the image of a published version changed.\n` +
        'error: Build 2.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.\n',
    );
    expect((await buildOf(name))?.container_digest).toBe(first.digest);

    ok(await hsp(['publish', file, '--force'], { env: env() }));
    expect((await buildOf(name))?.container_digest).toBe(moved.digest);
  });

  it('--no-resolve records the tag alone, keeps a digest already recorded, and a later publish pins it without --force', async () => {
    const pushed = await pushImage(registry.host, 'acme/unpinned', '3.0');
    const { file, name } = manifest(`${registry.host}/acme/unpinned:3.0`, '3.0.0');
    const plan = json<PlanDocument>(await hsp(['publish', file, '--no-resolve', '--json'], { env: env() }));
    expect(plan.build.image).toBeUndefined();
    expect((await buildOf(name))?.container_digest).toBeNull();

    const pinning = json<PlanDocument>(await hsp(['publish', file, '--json'], { env: env() }));
    expect(pinning.actions.find((a) => a.resource === 'build')).toMatchObject({ action: 'update', changes: [{ field: 'container_digest', from: null, to: pushed.digest }], outcome: 'done' });
    expect((await buildOf(name))?.container_digest).toBe(pushed.digest);

    // Moved, but not looked up: what is recorded stays.
    await pushImage(registry.host, 'acme/unpinned', '3.0', 'moved');
    const kept = ok(await hsp(['publish', file, '--no-resolve'], { env: env() }));
    expect(kept.stdout).toContain('Nothing to change');
    expect((await buildOf(name))?.container_digest).toBe(pushed.digest);
  });

  it('records a digest the manifest pins without asking any registry', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const closed = await closedPort();
    const { file, name } = manifest(`127.0.0.1:${closed}/acme/app:1.0@${digest}`);
    const run = ok(await hsp(['publish', file], { env: env() }));
    expect(run.stdout).toContain(`  image 127.0.0.1:${closed}/acme/app:1.0 is ${digest} (pinned in the manifest)\n`);
    expect(await buildOf(name)).toMatchObject({ container_tag: '1.0', container_digest: digest });
  });

  it('stops with one sentence naming the registry and --no-resolve when the registry cannot answer, creating nothing', async () => {
    const closed = await closedPort();
    const { file, name } = manifest(`127.0.0.1:${closed}/acme/app:1.0`);
    const run = await hsp(['publish', file], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: Cannot pin 127.0.0.1:${closed}/acme/app:1.0 to a digest: the registry 127.0.0.1:${closed} could not be reached (connection refused); pass --no-resolve to publish the tag alone.\n`);
    expect(await buildOf(name)).toBeUndefined();

    const missing = await hsp(['publish', manifest(`${registry.host}/acme/never-pushed:1.0`).file, '--json'], { env: env() });
    expect(missing.code).toBe(1);
    expect((JSON.parse(missing.stdout) as PlanDocument).errors).toEqual([
      `Cannot pin ${registry.host}/acme/never-pushed:1.0 to a digest: the registry ${registry.host} has no image ${registry.host}/acme/never-pushed:1.0; push it first (docker push ${registry.host}/acme/never-pushed:1.0); pass --no-resolve to publish the tag alone.`,
    ]);
  });

  it('uses the publisher\u2019s Docker credentials, and never shows them when the registry refuses them', async () => {
    const pushed = await pushImage(registry.host, 'acme/guarded', '1.0');
    const config = (password: string) => {
      const folder = mkdtempSync(join(dir, 'docker-'));
      writeFileSync(join(folder, 'config.json'), JSON.stringify({ auths: { [guarded.host]: { auth: Buffer.from(`publisher:${password}`).toString('base64') } } }));
      return folder;
    };
    const { file, name } = manifest(`${guarded.host}/acme/guarded:1.0`);

    const anonymous = await hsp(['publish', file], { env: env() });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`without credentials: the repository does not exist, or it needs them (docker login ${guarded.host}; hsp reads Docker's credentials); pass --no-resolve to publish the tag alone.`);

    const wrong = config('not-the-password');
    const refused = await hsp(['publish', file], { env: env(wrong) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`to the credentials from the Docker config ${join(wrong, 'config.json')}`);
    expect(refused.stdout + refused.stderr).not.toMatch(/not-the-password|publisher:|cHVibGlzaGVy/);

    ok(await hsp(['publish', file], { env: env(config(PASSWORD)) }));
    expect((await buildOf(name))?.container_digest).toBe(pushed.digest);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
