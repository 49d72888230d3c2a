/**
 * examples/sdk/watch-events.mjs, as a user runs it: prints events live from `hsp serve` and keeps
 * going when the server restarts. Runs the built package (npm test builds dist/ first).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createMarketplaceServer, type MarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle } from '../../helpers/marketplace.js';
import { onceOnPGlite } from '../../helpers/skips.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function waitFor(read: () => string, pattern: RegExp, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => (pattern.test(read()) ? resolve() : Date.now() - started > ms ? reject(new Error(`timed out waiting for ${pattern}; saw:\n${read()}`)) : setTimeout(tick, 50));
    tick();
  });
}

onceOnPGlite.describe('examples/sdk/watch-events.mjs', () => {
  it('prints events and survives a server restart', { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hsp-watch-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    let server: MarketplaceServer = await createMarketplaceServer({ port: 0, dataDir });
    cleanup.push(() => server.close());
    const port = Number(new URL(server.url).port);
    const m = marketplaceHandle(server);
    const me = (await m.admin.session.whoami())!.user;
    const product = await m.admin.products.create({ name: 'Watched app' });
    const build = await m.admin.builds.create(product.id, { version: '1.0.0' });
    const platform = await m.admin.platforms.create(me.id, { name: 'watched-host' });

    const child = spawn(process.execPath, ['examples/sdk/watch-events.mjs', platform.id], {
      cwd: root,
      env: { ...process.env, HSP_URL: server.url, HSP_TOKEN: server.adminToken },
    });
    cleanup.push(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));

    await waitFor(() => stderr, /subscribed/);
    const first = await m.admin.instances.create(me.id, platform.id, { build_id: build.id });
    await waitFor(() => stdout, new RegExp(`instance.created instance=${first.id}`));

    await server.close();
    await waitFor(() => stderr, /disconnected/);
    server = await createMarketplaceServer({ port, dataDir });
    // Not a first start: no new administrator token, the old one still works.
    const again = marketplaceHandle(server).client(m.server.adminToken);
    await waitFor(() => stderr, /subscribed[\s\S]*subscribed/);
    const second = await again.instances.create(me.id, platform.id, { build_id: build.id });
    await waitFor(() => stdout, new RegExp(`instance.created instance=${second.id}`));
    expect(stdout.trim().split('\n')).toHaveLength(2);
  });
});
