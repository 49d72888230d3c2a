import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import { createOrchestrator } from '../../../src/agent/orchestrators/index.js';
import { records } from './orchestrator-fixtures.js';

describe('dry-run orchestrator', () => {
  it('logs what it would deploy and remove, naming variables but never their values', async () => {
    const logs: { event: string; fields?: Record<string, unknown> }[] = [];
    const deployment = toDeployment(
      records({
        tasks: [{ name: 'web', minimum: 2, ports: [80], memory: 128, environment: [{ key: 'LOG_LEVEL', description: '', default: 'info' }] }, { name: 'nightly', cron: '0 0 * * *' }],
        environment: { DB_PASSWORD: 'hunter2' },
      }),
    );
    const dryRun = await createOrchestrator('dry-run', { log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }), platformId: deployment.platformId });

    expect(await dryRun.list()).toBeUndefined();
    // Endpoints at loopback with the declared ports, for the long-running tasks only.
    expect(await dryRun.deploy(deployment)).toEqual({
      orchestrator: 'dry-run',
      fingerprint: deployment.fingerprint,
      workloads: [],
      endpoints: [{ task: 'web', port: 80, host: '127.0.0.1', url: 'http://127.0.0.1:80' }],
    });
    await dryRun.remove(deployment.instance.id);

    expect(logs).toEqual([
      {
        event: 'dry_run.deploy',
        fields: {
          instance_id: deployment.instance.id,
          build_id: deployment.build.id,
          image: 'example/web:1.2.3',
          configuration: 'default',
          tasks: [
            { name: 'web', replicas: 2, memory_mib: 128, ports: [80] },
            { name: 'nightly', replicas: 1, memory_mib: null, ports: [], cron: '0 0 * * *' },
          ],
          environment: ['DB_PASSWORD', 'LOG_LEVEL'],
          fingerprint: deployment.fingerprint,
        },
      },
      { event: 'dry_run.remove', fields: { instance_id: deployment.instance.id } },
    ]);
    expect(JSON.stringify(logs)).not.toContain('hunter2');
  });

  it('is chosen by name, and an unknown name is one sentence', async () => {
    const log = () => undefined;
    expect((await createOrchestrator('dry-run', { log, platformId: randomUUID() })).name).toBe('dry-run');
    await expect(createOrchestrator('swarm' as never, { log, platformId: randomUUID() })).rejects.toThrow('There is no orchestrator "swarm": choose docker, kubernetes, exec, dry-run.');
  });
});
