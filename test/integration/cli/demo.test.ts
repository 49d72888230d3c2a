import { describe, expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';

describe.runIf(!process.env.HSP_TEST_DATABASE_URL)('hsp demo', () => {
  it('runs every step, verified, as JSON lines', async () => {
    const run = await hsp(['demo', '--json']);
    expect(run.code).toBe(0);
    const steps = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { step: string; ok: boolean; ms: number; detail: string });
    expect(steps.map((s) => s.step)).toEqual([
      'Start a marketplace',
      'Sign in as the administrator',
      'Publish a product',
      'Add a build with its configuration',
      'Register a platform',
      'Listen to the platform',
      'Deploy the build on the platform',
      'Report the deployment back',
      'Undeploy',
      'summary',
    ]);
    expect(steps.every((s) => s.ok && typeof s.ms === 'number' && s.detail)).toBe(true);
  });
});
