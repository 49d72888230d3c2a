import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/hsp-process.js';
import { onceOnPGlite } from '../../helpers/skips.js';

onceOnPGlite.describe('hsp demo', () => {
  it('runs every step, verified, as JSON lines', { timeout: 120_000 }, async () => {
    const run = await hsp(['demo', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const steps = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { step: string; ok: boolean; ms: number; detail: string });
    expect(steps.map((s) => s.step)).toEqual([
      'Start a marketplace',
      'Sign in as the administrator',
      'Publish the example products',
      'Register a platform with an agent key',
      'Start the platform agent',
      'Deploy an instance',
      'Change its settings',
      'Undeploy it',
      'summary',
    ]);
    expect(steps.every((s) => s.ok && typeof s.ms === 'number' && s.detail)).toBe(true);
    const detail = (step: string) => steps.find((s) => s.step === step)!.detail;
    // Every example product's manifest is published, whichever examples/ holds.
    const folders = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const count = (name: string) => folders.filter((folder) => existsSync(join(repoRoot, 'examples', folder.name, name))).length;
    const [yaml, json] = [count('hsp.yaml'), count('marketplace.json')];
    expect(detail('Publish the example products')).toMatch(new RegExp(`^${yaml + json} products from examples/ \\(${yaml} hsp\\.yaml, ${json} marketplace\\.json\\): \\d+ records, all public$`));
    expect(detail('Deploy an instance')).toMatch(/^"Pediatric Growth Chart": report landed in \d+ ms, http:\/\/127\.0\.0\.1:\d+ answers$/);
  });
});
