import { describe, expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';

describe.runIf(!process.env.HSP_TEST_DATABASE_URL)('hsp demo', () => {
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
    expect(detail('Publish the example products')).toMatch(/^4 products from examples\/ \(3 hsp\.yaml, 1 marketplace\.json\): \d+ records, all public$/);
    expect(detail('Deploy an instance')).toMatch(/^"Pediatric Growth Chart": report landed in \d+ ms, http:\/\/127\.0\.0\.1:\d+ answers$/);
  });
});
