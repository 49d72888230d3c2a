/**
 * The specification's own example manifests (read from the shared folder beside the
 * repository; the project keeps no copy) publish into a fresh marketplace with `hsp publish`,
 * and publish again as all unchanged.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { hsp } from '../../helpers/cli.js';
import { json } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { specExamplesDir } from './fixtures.js';
import { withSpecExamples } from '../../helpers/skips.js';

const m = useMarketplace();
const SPEC_MARKETPLACE = 'https://marketplace-server.logicahealth.org';

withSpecExamples.describe("the specification's example manifests", () => {
  it.each([
    { example: 'smart', product: 'Bilirubin Visualizer', id: 'bc0e9854-7de2-48a7-9de2-f1b481b477b8', tasks: 1 },
    { example: 'cds-hooks', product: 'Example Opioid Prescribing CDS Service', id: 'bc0e9854-7de2-48a7-9de2-f1b481b99998', tasks: 2 },
  ])('$example: plans, applies, and re-applies as all unchanged', async ({ example, product, id, tasks }) => {
    const file = join(specExamplesDir, `${example}.product.build.json`);
    const env = { HSP_URL: m.url, HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'hsp-spec-')) };

    const plan = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--dry-run', '--json'], { env }));
    expect(plan.product).toEqual({ id, name: product });
    expect(plan.errors).toEqual([]);
    expect(plan.warnings).toContain(`Publishing to ${m.url}, not to ${SPEC_MARKETPLACE}, the marketplace_url of ${file}.`);
    expect(plan.actions.filter((a) => a.resource === 'task')).toHaveLength(tasks);
    expect(plan.summary.update + plan.summary.delete).toBe(0);

    const applied = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--json'], { env }));
    expect(applied.outcomes).toMatchObject({ failed: 0, skipped: 0 });
    expect(applied.summary).toEqual(plan.summary);
    const record = await m.admin.products.retrieve(id);
    expect(record.name).toBe(product);

    const again = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--json'], { env }));
    expect(again.summary).toEqual({ create: 0, update: 0, delete: 0, unchanged: again.actions.length });
    expect(again.outcomes).toEqual({ done: 0, unchanged: again.actions.length, failed: 0, skipped: 0 });
  });

  it('cds-hooks carries the known defects of the file as warnings with their positions', async () => {
    const file = join(specExamplesDir, 'cds-hooks.product.build.json');
    const env = { HSP_URL: m.url, HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'hsp-spec-')) };
    const plan = json<PlanDocument>(await hsp(['publish', '--no-resolve', file, '--dry-run', '--json'], { env }));
    const positioned = plan.warnings.filter((w) => w.startsWith(`${file}:`));
    expect(positioned.length).toBeGreaterThan(1);
    for (const warning of positioned) expect(warning).toMatch(/^.+\.json:\d+:\d+: .+/);

    const text = await hsp(['publish', '--no-resolve', file, '--dry-run'], { env });
    expect(text.code).toBe(0);
    expect(text.stderr).toContain(`! Publishing to ${m.url}, not to ${SPEC_MARKETPLACE}`);
  });
});
