/**
 * The README's round trip: publish the specification's marketplace.json with a version, convert
 * it to hsp.yaml, publish the hsp.yaml. The converted file describes the same build, so the
 * second publish changes nothing; converted without the version, the refusal names the build
 * the marketplace has and what to do. (`--no-resolve`: the example's image is not in a registry.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/manifest/plan-document.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const dir = mkdtempSync(join(tmpdir(), 'hsp-convert-publish-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken, HSP_CONFIG_DIR: dir });

const spec = 'examples/bilirubin-chart/marketplace.json';
const buildId = 'b950a06f-22d1-4f33-ab01-38f086122ef8';

describe('hsp manifest convert, then hsp publish', () => {
  it('publish marketplace.json --version 2.0.0, convert with --version 2.0.0, publish the hsp.yaml: all unchanged', async () => {
    ok(await hsp(['publish', spec, '--version', '2.0.0', '--publish', '--no-resolve'], { env: env() }));

    const converted = join(dir, 'bilirubin.hsp.yaml');
    ok(await hsp(['manifest', 'convert', spec, '--to', 'hsp.yaml', '--version', '2.0.0', '--output-file', converted]));
    expect(readFileSync(converted, 'utf8')).toContain(`# Check it with "hsp manifest validate ${converted}"; publish it with "hsp publish ${converted}".\n`);

    const plan = json<PlanDocument>(await hsp(['publish', converted, '--dry-run', '--no-resolve', '--json'], { env: env() }));
    expect(plan.build).toMatchObject({ id: buildId, version: '2.0.0' });
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, unchanged: plan.actions.length });
    expect(plan.errors).toEqual([]);
    const applied = ok(await hsp(['publish', converted, '--no-resolve'], { env: env() }));
    expect(applied.stdout).toContain(`Nothing to change: ${m.url} already matches ${converted}.\n`);
  }, 120_000);

  it('converted without --version (the image tag, 3.0.2): the refusal names the version the marketplace has and the way out', async () => {
    const converted = join(dir, 'tag-version.hsp.yaml');
    const run = ok(await hsp(['manifest', 'convert', spec, '--to', 'hsp.yaml', '--output-file', converted]));
    expect(run.stderr).toContain('The build version is 3.0.2, the image\'s tag');

    const refused = await hsp(['publish', converted, '--no-resolve'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: Build 2.0.0 has version "2.0.0" in the marketplace but "3.0.2" in ${converted}.\n`);
    expect(refused.stderr).toContain(
      `error: Build 2.0.0 is already in the marketplace under build id ${buildId}, and a version is an immutable release: keep build.version 2.0.0, give version 3.0.2 a build id of its own, or pass --force to change it anyway.\n`,
    );
    expect(refused.stderr).not.toContain('published version');

    // The same refusal for the marketplace.json itself says which flag keeps the version.
    const again = await hsp(['publish', spec, '--no-resolve'], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: Build 2.0.0 is already in the marketplace under build id ${buildId}, and a version is an immutable release: pass --version 2.0.0, give version 3.0.2`);
  }, 120_000);
});
