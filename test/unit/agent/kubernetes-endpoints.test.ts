/**
 * The endpoints the kubernetes orchestrator reports, against the stub API server
 * (test/helpers/kube-api-stub.ts): each Service port at the Service's namespaced DNS name, so
 * pods of the platform's other instances reach it from any namespace; nothing for a task
 * without ports (it has no Service) or a scheduled one (nothing runs it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import { KubernetesOrchestrator } from '../../../src/agent/orchestrators/kubernetes.js';
import { TERMINATION_GRACE_SECONDS } from '../../../src/agent/orchestrators/kubernetes-manifests.js';
import { KubeApiStub } from '../../helpers/kube-api-stub.js';
import { records } from './orchestrator-fixtures.js';

const NS = 'clinic-apps';
let stub: KubeApiStub;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hsp-kube-endpoints-'));
  stub = await KubeApiStub.start();
});
afterAll(async () => {
  await stub.close();
  await rm(tmp, { recursive: true, force: true });
});

// The first deploy loads the Kubernetes client (about a second, more on a busy machine).
describe('kubernetes orchestrator: reported endpoints', { timeout: 60_000 }, () => {
  it('reports http://<service>.<namespace>.svc:<port> per Service port, and nothing for tasks without a Service', async () => {
    const kubeconfig = await stub.writeKubeconfig({ namespace: NS });
    const deployment = toDeployment(
      records({
        tasks: [
          { name: 'FHIR server', ports: [8080, 8443] },
          { name: 'worker' },
          { name: 'nightly', cron: '0 3 * * *', ports: [9000] },
        ],
      }),
    );
    const kube = await KubernetesOrchestrator.connect({ kubeconfig, platformId: deployment.platformId, log: () => undefined, pollIntervalMs: 50 });
    const report = await kube.deploy(deployment);

    const [service, ...more] = stub.list('services', NS);
    expect(more).toEqual([]);
    const host = `${service!.metadata.name}.${NS}.svc`;
    expect(host).toMatch(new RegExp(`^hsp-${deployment.instance.id}-fhir-server-[0-9a-f]{8}\\.${NS}\\.svc$`));
    expect(report.endpoints).toEqual([
      { task: 'FHIR server', port: 8080, host, url: `http://${host}:8080` },
      { task: 'FHIR server', port: 8443, host, url: `http://${host}:8443` },
    ]);
    // The other half of the image contract: 15 s between SIGTERM and SIGKILL.
    for (const live of stub.list('deployments', NS)) {
      expect((live.spec.template as { spec: { terminationGracePeriodSeconds: number } }).spec.terminationGracePeriodSeconds).toBe(TERMINATION_GRACE_SECONDS);
    }
    expect(TERMINATION_GRACE_SECONDS).toBe(15);
    await kube.close();
  });
});
