/**
 * Every example product in the repository (`examples/<product>/hsp.yaml` or
 * `marketplace.json`) publishes with `hsp publish` into a fresh marketplace, and a second
 * publish finds nothing to change.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { hsp } from '../../helpers/cli.js';
import { json } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { onlyIf } from '../../helpers/skips.js';

const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const manifests = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => ['hsp.yaml', 'marketplace.json'].map((name) => join(examplesDir, entry.name, name)))
  .filter((file) => existsSync(file));

const m = useMarketplace();

onlyIf(manifests.length, 'needs example manifests in examples/').describe('the example products', () => {
  it.each(manifests.map((file) => ({ file, example: file.slice(examplesDir.length + 1) })))('$example publishes, then has nothing to change', async ({ file }) => {
    const env = { HSP_URL: m.url, HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'hsp-examples-')) };
    const applied = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--json'], { env }));
    expect(applied.errors).toEqual([]);
    expect(applied.summary.create).toBeGreaterThan(0);
    expect(applied.outcomes).toMatchObject({ failed: 0, skipped: 0 });
    const again = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--json'], { env }));
    expect(again.summary).toEqual({ create: 0, update: 0, delete: 0, unchanged: again.actions.length });
  });
});
