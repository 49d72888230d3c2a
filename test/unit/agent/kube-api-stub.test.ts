/**
 * The stub Kubernetes API server judges what it is sent, as a real API server would: these
 * requests go to it directly (HTTPS, trusting its certificate), with no agent in between, so
 * the kubernetes orchestrator's tests can rely on it to reject an invalid object.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiStub } from '../../helpers/kube-api-stub.js';

let stub: KubeApiStub;
beforeAll(async () => {
  stub = await KubeApiStub.start();
});
afterAll(async () => {
  await stub.close();
});

interface Answer {
  status: number;
  body: { kind?: string; code?: number; reason?: string; message?: string; details?: { causes?: { field: string; reason: string; message: string }[] }; [key: string]: unknown };
}

function call(method: string, path: string, options: { body?: unknown; contentType?: string; token?: string | null } = {}): Promise<Answer> {
  const text = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const url = new URL(path, stub.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: stub.caCertificate,
        headers: {
          accept: 'application/json',
          ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? stub.token}` }),
          ...(text === undefined ? {} : { 'content-type': options.contentType ?? 'application/apply-patch+yaml', 'content-length': Buffer.byteLength(text) }),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as Answer['body'] }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const APPLY = '?fieldManager=test&force=true';
const deploymentPath = (name: string, ns = 'stub-test') => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
const servicePath = (name: string, ns = 'stub-test') => `/api/v1/namespaces/${ns}/services/${name}`;

/** A Deployment body, loosely typed so that tests can break it in every way. */
interface DeploymentBody {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    replicas: unknown;
    replica?: unknown;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: ContainerBody[] } };
  };
}
interface ContainerBody {
  name?: string;
  image: string;
  env: Record<string, unknown>[];
  ports: Record<string, unknown>[];
  resources: { limits: { memory: string } };
}

function deployment(name: string, patch: (d: DeploymentBody) => void = () => {}): DeploymentBody {
  const body: DeploymentBody = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name, 'org.hl7.hsp/instance': 'x' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'example/web:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }], resources: { limits: { memory: '256Mi' } } }] },
      },
    },
  };
  patch(body);
  return body;
}

describe('the stub Kubernetes API server', () => {
  it('answers a valid apply with the object (201, then 200 with nothing changed), and lists it by label', async () => {
    const created = await call('PATCH', deploymentPath('good') + APPLY, { body: deployment('good') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'Deployment', metadata: { name: 'good', namespace: 'stub-test', generation: 1 }, spec: { replicas: 2, revisionHistoryLimit: 10 } });
    const again = await call('PATCH', deploymentPath('good') + APPLY, { body: deployment('good') });
    expect(again.status).toBe(200);
    expect((again.body.metadata as { resourceVersion: string }).resourceVersion).toBe((created.body.metadata as { resourceVersion: string }).resourceVersion);

    // YAML is what apply-patch+yaml says; JSON is YAML too.
    const yaml = await call('PATCH', deploymentPath('good') + APPLY, { body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: good\n  labels: {app: good}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: good}}\n  template:\n    metadata: {labels: {app: good}}\n    spec:\n      containers: [{name: web, image: "example/web:1"}]\n' });
    expect(yaml.status).toBe(200);
    expect(yaml.body).toMatchObject({ metadata: { generation: 2 }, spec: { replicas: 3 } });

    const list = await call('GET', `/apis/apps/v1/namespaces/stub-test/deployments?labelSelector=${encodeURIComponent('app=good')}`);
    expect(list.status).toBe(200);
    expect((list.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['good']);
    const none = await call('GET', `/apis/apps/v1/namespaces/stub-test/deployments?labelSelector=${encodeURIComponent('app!=good')}`);
    expect(none.body.items).toEqual([]);
  });

  it('refuses a request without the bearer token (401), or with another one', async () => {
    expect(await call('GET', '/apis/apps/v1/namespaces/stub-test/deployments', { token: null })).toMatchObject({ status: 401, body: { kind: 'Status', reason: 'Unauthorized', code: 401 } });
    expect((await call('GET', '/apis/apps/v1/namespaces/stub-test/deployments', { token: 'guess' })).status).toBe(401);
  });

  it('takes only server-side apply patches, with a field manager', async () => {
    const merge = await call('PATCH', deploymentPath('good') + APPLY, { body: deployment('good'), contentType: 'application/merge-patch+json' });
    expect(merge).toMatchObject({ status: 415, body: { reason: 'UnsupportedMediaType' } });
    const noManager = await call('PATCH', deploymentPath('good') + '?force=true', { body: deployment('good') });
    expect(noManager).toMatchObject({ status: 422, body: { reason: 'Invalid', message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' } });
  });

  it('refuses a field the schema does not declare, wherever it is (400, as server-side apply does)', async () => {
    const answer = await call('PATCH', deploymentPath('typo') + APPLY, {
      body: deployment('typo', (d) => {
        d.spec.replica = 2;
        d.spec.template.spec.containers[0]!.env[0]!.secret = true;
      }),
    });
    expect(answer).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400 } });
    expect(answer.body.message).toBe(
      'failed to create typed patch object (stub-test/typo; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema, .spec.template.spec.containers[0].env[0].secret: field not declared in schema',
    );
    const service = await call('PATCH', servicePath('typo') + APPLY, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'typo' }, spec: { ports: [{ port: 80, targetport: 8080 }] } } });
    expect(service.body.message).toContain('.spec.ports[0].targetport: field not declared in schema');
    expect(stub.get('deployments', 'stub-test', 'typo')).toBeUndefined();
  });

  it('refuses what the OpenAPI schema forbids with a 422 Status and its causes', async () => {
    const answer = await call('PATCH', deploymentPath('schema') + APPLY, {
      body: deployment('schema', (d) => {
        d.spec.replicas = 'two';
        d.spec.template.spec.containers[0]!.resources.limits.memory = '256 MB';
        delete d.spec.template.spec.containers[0]!.name;
      }),
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'schema', group: 'apps', kind: 'Deployment' } });
    expect(answer.body.details?.causes?.map((c) => c.field).sort()).toEqual(['spec.replicas', 'spec.template.spec.containers[0].name', 'spec.template.spec.containers[0].resources.limits.memory', 'spec.template.spec.containers[0].resources.limits.memory']);
    expect(answer.body.message).toMatch(/^Deployment\.apps "schema" is invalid: \[.*spec\.replicas: Invalid value: "two": spec\.replicas in body must be of type integer.*\]$/);
  });

  it('refuses what the API server\u2019s own validation forbids (names, labels, selector, ports, env)', async () => {
    const cases: [string, (d: DeploymentBody) => void, string][] = [
      ['Bad_Name', () => {}, 'metadata.name'],
      ['labels', (d) => (d.metadata.labels['org.hl7.hsp/fingerprint'] = 'f'.repeat(64)), 'metadata.labels'],
      ['selector', (d) => (d.spec.template.metadata.labels = { app: 'other' }), 'spec.template.metadata.labels'],
      ['container', (d) => (d.spec.template.spec.containers[0]!.name = 'Web_1'), 'spec.template.spec.containers[0].name'],
      ['port', (d) => (d.spec.template.spec.containers[0]!.ports = [{ containerPort: 70000 }]), 'spec.template.spec.containers[0].ports[0].containerPort'],
      ['port-name', (d) => (d.spec.template.spec.containers[0]!.ports = [{ containerPort: 80, name: 'http-port-number-80' }]), 'spec.template.spec.containers[0].ports[0].name'],
      ['env', (d) => (d.spec.template.spec.containers[0]!.env = [{ name: 'A=B', value: '1' }]), 'spec.template.spec.containers[0].env[0].name'],
    ];
    for (const [name, patch, field] of cases) {
      const answer = await call('PATCH', deploymentPath(name) + APPLY, { body: deployment(name, patch) });
      expect([name, answer.status, answer.body.details?.causes?.map((c) => c.field)]).toEqual([name, 422, [field]]);
    }
    const service = (name: string, spec: unknown) => call('PATCH', servicePath(name) + APPLY, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec } });
    expect((await service('1-starts-with-digit', { ports: [{ port: 80 }] })).body.details?.causes?.map((c) => c.field)).toEqual(['metadata.name']);
    expect((await service('no-ports', { selector: { app: 'x' } })).body.details?.causes).toEqual([{ reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' }]);
    expect((await service('unnamed', { ports: [{ port: 80 }, { port: 81 }] })).body.details?.causes?.map((c) => c.field)).toEqual(['spec.ports[0].name', 'spec.ports[1].name']);
    expect((await service('valid', { ports: [{ port: 80 }] })).status).toBe(201);
  });

  it('keeps a Deployment\u2019s selector immutable, and a conflict with another manager needs force', async () => {
    expect((await call('PATCH', deploymentPath('immutable') + APPLY, { body: deployment('immutable') })).status).toBe(201);
    const moved = await call('PATCH', deploymentPath('immutable') + APPLY, {
      body: deployment('immutable', (d) => {
        d.spec.selector.matchLabels = { app: 'moved' };
        d.spec.template.metadata.labels = { app: 'moved' };
      }),
    });
    expect(moved).toMatchObject({ status: 422, body: { details: { causes: [{ field: 'spec.selector' }] } } });
    expect(moved.body.message).toContain('field is immutable');

    stub.edit('deployments', 'stub-test', 'immutable', (d) => (d.spec.replicas = 7), 'kubectl-scale');
    const unforced = await call('PATCH', deploymentPath('immutable') + '?fieldManager=test', { body: deployment('immutable') });
    expect(unforced).toMatchObject({ status: 409, body: { reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "kubectl-scale"' } });
    const forced = await call('PATCH', deploymentPath('immutable') + APPLY, { body: deployment('immutable') });
    expect(forced).toMatchObject({ status: 200, body: { spec: { replicas: 2 } } });
  });

  it('deletes with a propagation policy, 404 when gone, and pages long lists', async () => {
    for (const n of [1, 2, 3]) await call('PATCH', deploymentPath(`page-${n}`, 'paged') + APPLY, { body: deployment(`page-${n}`) });
    const first = await call('GET', '/apis/apps/v1/namespaces/paged/deployments?limit=2');
    expect((first.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['page-1', 'page-2']);
    const token = (first.body.metadata as { continue: string }).continue;
    const rest = await call('GET', `/apis/apps/v1/namespaces/paged/deployments?limit=2&continue=${token}`);
    expect((rest.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['page-3']);

    expect(await call('DELETE', `${deploymentPath('page-1', 'paged')}?propagationPolicy=Sideways`)).toMatchObject({ status: 400 });
    expect(await call('DELETE', `${deploymentPath('page-1', 'paged')}?propagationPolicy=Background`)).toMatchObject({ status: 200, body: { kind: 'Status', status: 'Success' } });
    expect(await call('DELETE', `${deploymentPath('page-1', 'paged')}?propagationPolicy=Background`)).toMatchObject({ status: 404, body: { reason: 'NotFound', message: 'deployments.apps "page-1" not found' } });
  });

  it('answers 403 as RBAC words it for what is denied', async () => {
    stub.deny('list', 'services');
    try {
      expect(await call('GET', '/api/v1/namespaces/stub-test/services')).toMatchObject({
        status: 403,
        body: { reason: 'Forbidden', message: 'services is forbidden: User "system:serviceaccount:hsp:hsp-agent" cannot list resource "services" in API group "" in the namespace "stub-test"' },
      });
    } finally {
      stub.allow('list', 'services');
    }
  });
});
