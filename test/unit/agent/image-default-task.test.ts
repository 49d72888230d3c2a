/**
 * A build with no configuration runs its image as the specification's first agents did: one
 * task named `default`, one replica, the image's own command, no ports declared.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { taskPlansOf, toDeployment } from '../../../src/agent/deployment.js';
import { DockerOrchestrator } from '../../../src/agent/orchestrators/docker.js';
import { FakeDocker } from '../../helpers/fake-docker.js';
import { records } from './orchestrator-fixtures.js';

function withoutConfigurations(environment?: Record<string, string>) {
  const { tasks: _tasks, ...input } = records(environment ? { environment } : {});
  return { ...input, configurations: [] };
}

describe('a build with no configuration', () => {
  it('is one task named default: one replica, no ports, no arguments, no memory limit, no schedule', () => {
    const deployment = toDeployment(withoutConfigurations({ GREETING: 'hello' }));
    expect(deployment.configuration).toMatchObject({ name: 'default', build_id: deployment.build.id });
    expect(taskPlansOf(deployment)).toEqual([{ index: 0, name: 'default', replicas: 1, ports: [], options: [], environment: { GREETING: 'hello' } }]);
    expect(deployment.environment).toEqual({ GREETING: 'hello' });
  });

  it('is fingerprinted like any other, and the same records give the same fingerprint', () => {
    const input = withoutConfigurations();
    expect(toDeployment(input).fingerprint).toBe(toDeployment(input).fingerprint);
    expect(toDeployment({ ...input, instance: { ...input.instance, launch_bindings: { environment: { A: '1' } } } }).fingerprint).not.toBe(toDeployment(input).fingerprint);
  });

  describe('run by the docker orchestrator', () => {
    let engine: FakeDocker;
    beforeEach(async () => (engine = await FakeDocker.start()));
    afterEach(() => engine.close());

    it('is one container with the image\u2019s own command and no ports', async () => {
      const deployment = toDeployment(withoutConfigurations());
      const docker = await DockerOrchestrator.connect({ dockerHost: engine.host, platformId: deployment.platformId, log: () => {} });
      try {
        const report = await docker.deploy(deployment);
        const creates = engine.callsTo('POST', /^\/containers\/create$/);
        expect(creates).toHaveLength(1);
        expect(creates[0]?.body).not.toHaveProperty('Cmd');
        expect(creates[0]?.body).toMatchObject({ Image: 'example/web:1.2.3', ExposedPorts: {} });
        expect(report.workloads).toHaveLength(1);
        expect(report.workloads[0]).toMatchObject({ task: 'default', replica: 0 });
      } finally {
        await docker.close();
      }
    });
  });
});
