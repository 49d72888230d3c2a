import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultConfigurationOf, DeploymentRefused, fingerprintOf, taskPlansOf, toDeployment, type DeploymentInput } from '../../../src/agent/deployment.js';
import type { Configuration, Task } from '../../../src/index.js';
import { records } from './orchestrator-fixtures.js';

function configuration(name: string, createdAt: string): Configuration {
  return { id: randomUUID(), build_id: randomUUID(), name, created_at: createdAt, updated_at: createdAt };
}

/** The refusal's sentence, checked to be one sentence about this instance. */
function refusal(input: DeploymentInput): string {
  try {
    toDeployment(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentRefused);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^Instance ${input.instance.id}: .*\\.$`));
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(400);
    return message;
  }
  throw new Error('the deployment was not refused');
}

describe('defaultConfigurationOf (the publisher\u2019s convention: the build\u2019s first configuration)', () => {
  const older = configuration('web', '2024-01-01T00:00:00Z');
  const newer = configuration('worker', '2024-02-01T00:00:00Z');

  it('picks the oldest, whatever the order given', () => {
    expect(defaultConfigurationOf([newer, older])).toBe(older);
    expect(defaultConfigurationOf([older, newer])).toBe(older);
  });

  it('does not go by name', () => {
    expect(defaultConfigurationOf([newer, configuration('default', '2024-03-01T00:00:00Z'), older])).toBe(older);
  });

  it('keeps the one listed first among equal timestamps', () => {
    const twin = configuration('twin', '2024-01-01T00:00:00Z');
    expect(defaultConfigurationOf([twin, older])).toBe(twin);
  });

  it('finds none in an empty list, and skips entries that are not configurations', () => {
    expect(defaultConfigurationOf([])).toBeUndefined();
    expect(defaultConfigurationOf([null as never, { ...older, id: '../x' }, newer])).toBe(newer);
  });
});

describe('toDeployment', () => {
  it('builds the deployment from the first configuration only', () => {
    const input = records();
    const other = configuration('other', '2030-01-01T00:00:00Z');
    const foreign = { ...(input.tasks?.[0] as Task), id: randomUUID(), configuration_id: other.id, name: 'foreign' };
    const deployment = toDeployment({ ...input, configurations: [other, ...input.configurations], tasks: [...(input.tasks ?? []), foreign] });
    expect(deployment.configuration.name).toBe('default');
    expect(deployment.tasks.map((t) => t.name)).toEqual(['web']);
    expect(deployment.platformId).toBe(input.platformId);
    expect(deployment.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes tasks keyed by configuration, as a record or a map', () => {
    const input = records();
    const [config] = input.configurations as [Configuration];
    const { tasks, ...rest } = input;
    const fromRecord = toDeployment({ ...rest, tasksByConfiguration: { [config.id]: tasks ?? [] } });
    const fromMap = toDeployment({ ...rest, tasksByConfiguration: new Map([[config.id, tasks ?? []]]) });
    expect(fromRecord.fingerprint).toBe(toDeployment(input).fingerprint);
    expect(fromMap.fingerprint).toBe(fromRecord.fingerprint);
  });

  it('merges the tasks\u2019 defaults with the instance input, the input winning', () => {
    const input = records({
      tasks: [
        { name: 'web', environment: [{ key: 'LOG_LEVEL', description: '', default: 'info' }, { key: 'PORT', description: '', default: '8080' }, { key: 'OPTIONAL', description: '' }] },
        { name: 'worker', environment: [{ key: 'QUEUE', description: '', default: 'jobs' }, { key: 'LOG_LEVEL', description: '', default: 'warn' }] },
      ],
      environment: { LOG_LEVEL: 'debug', OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' },
    });
    const deployment = toDeployment(input);
    expect(deployment.environment).toEqual({ LOG_LEVEL: 'debug', PORT: '8080', QUEUE: 'jobs', OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' });
    const [web, worker] = taskPlansOf(deployment);
    expect(web?.environment).toEqual({ LOG_LEVEL: 'debug', PORT: '8080', OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' });
    expect(worker?.environment).toEqual({ QUEUE: 'jobs', LOG_LEVEL: 'debug', OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' });
  });

  it('gives each task its own defaults when they differ', () => {
    const input = records({
      tasks: [
        { name: 'a', environment: [{ key: 'MODE', description: '', default: 'web' }] },
        { name: 'b', environment: [{ key: 'MODE', description: '', default: 'worker' }] },
      ],
    });
    const [a, b] = taskPlansOf(toDeployment(input));
    expect([a?.environment.MODE, b?.environment.MODE]).toEqual(['web', 'worker']);
  });

  it('accepts a required variable that the input sets', () => {
    const input = records({ tasks: [{ name: 'web', environment: [{ key: 'CLIENT_ID', description: '', required: true }] }], environment: { CLIENT_ID: 'abc' } });
    expect(toDeployment(input).environment).toEqual({ CLIENT_ID: 'abc' });
  });

  it('normalises replicas, memory, ports and options', () => {
    const input = records({
      tasks: [
        { name: 'web', minimum: 3, memory: 512, ports: [80, 443, 80], options: ['--mode', 'production'] },
        { name: 'zero', minimum: 0, memory_maximum: 128, memory: 1024 },
        { name: 'nightly', cron: '0 0 * * *', instances_minimum: 2 },
      ],
    });
    expect(taskPlansOf(toDeployment(input)).map(({ environment: _e, ...plan }) => plan)).toEqual([
      { index: 0, name: 'web', replicas: 3, memoryMiB: 512, ports: [80, 443], options: ['--mode', 'production'] },
      { index: 1, name: 'zero', replicas: 1, memoryMiB: 128, ports: [], options: [] },
      { index: 2, name: 'nightly', replicas: 2, ports: [], options: [], cron: '0 0 * * *' },
    ]);
  });

  describe('refuses', () => {
    const cases: [string, (input: DeploymentInput) => DeploymentInput, string][] = [
      ['an instance of another platform', (i) => ({ ...i, instance: { ...i.instance, platform_id: randomUUID() } }), 'belongs to platform'],
      ['a platform id that is not a UUID', (i) => ({ ...i, platformId: '../../etc', instance: { ...i.instance, platform_id: '../../etc' } }), 'the platform id "../../etc" is not a UUID'],
      ['a build other than the instance\u2019s', (i) => ({ ...i, instance: { ...i.instance, build_id: randomUUID() } }), 'but build'],
      ['shell metacharacters in the image', (i) => ({ ...i, build: { ...i.build, container_repository: 'x;rm -rf /tmp' } }), 'the image reference "x;rm -rf /tmp:1.2.3" is not a repository'],
      ['command substitution in the tag', (i) => ({ ...i, build: { ...i.build, container_tag: '$(id)' } }), 'container_tag "$(id)" is neither a tag'],
      ['a build without an image', (i) => ({ ...i, build: { ...i.build, container_repository: null } }), 'names no container image'],
      ['a build whose configurations cannot be read', (i) => ({ ...i, configurations: [{ ...(i.configurations[0] as Configuration), id: '../x' }] }), 'has no configuration that can be read'],
      ['a configuration without tasks', (i) => ({ ...i, tasks: [] }), 'has no tasks'],
      ['LD_PRELOAD=x; as an input name', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { 'LD_PRELOAD=x;': '/tmp/evil.so' } } } }), 'launch_bindings.environment has the variable name "LD_PRELOAD=x;", which is not [A-Z0-9_]+'],
      ['a lowercase input name', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { path: '/x' } } } }), 'variable name "path"'],
      ['an input value that is not text', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { PORT: 8080 } } } }), 'launch_bindings.environment.PORT is not text'],
      ['a NUL in a value', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { A: 'x\u0000y' } } } }), 'contains a NUL character'],
      ['a value over 32 KiB', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { A: 'x'.repeat(32 * 1024 + 1) } } } }), 'is longer than 32 KiB'],
      ['an environment over 256 KiB', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), environment: Array.from({ length: 9 }, (_, n) => ({ key: `V${n}`, description: '', default: 'x'.repeat(30 * 1024) })) }] }), 'at most 256 KiB are allowed'],
      ['launch_bindings of 10 MB', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { A: 'a' }, padding: 'x'.repeat(10 * 1024 * 1024) } } }), 'launch_bindings is 10.1 MiB of JSON; at most 64 KiB are allowed'],
      ['launch_bindings that is not an object', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: '{"environment":{}}' as unknown as Record<string, unknown> } }), 'launch_bindings is not a JSON object'],
      ['an environment that is a list', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: ['A=1'] } } }), 'launch_bindings.environment is not an object'],
      ['a task variable name with a shell in it', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), environment: [{ key: 'X;reboot', description: '' }] }] }), 'task "web" environment has the variable name "X;reboot"'],
      ['a default that is not text', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), environment: [{ key: 'X', description: '', default: 1 as unknown as string }] }] }), 'task "web" environment X default is not text'],
      ['a required variable nobody sets', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), environment: [{ key: 'CLIENT_ID', description: '', required: true }] }] }), 'CLIENT_ID is required'],
      ['port 0', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), ports: [0] }] }), 'task "web" ports has 0, which is not a port from 1 to 65535'],
      ['port 65536', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), ports: [65536] }] }), 'has 65536'],
      ['a port as text', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), ports: ['80' as unknown as number] }] }), 'has "80"'],
      ['ports that are not a list', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), ports: 80 as unknown as number[] }] }), 'task "web" ports is not a list'],
      ['memory 0', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), memory: 0 }] }), 'task "web" memory 0 is not a whole number of MiB'],
      ['negative memory', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), memory: -1 }] }), 'memory -1'],
      ['fractional memory', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), memory: 1.5 }] }), 'memory 1.5'],
      ['more memory than the cap', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), memory_maximum: 2 ** 40 }] }), 'memory 1099511627776'],
      ['101 replicas', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), minimum: 101 }] }), 'task "web" minimum 101 is not a whole number of replicas from 0 to 100'],
      ['more than 100 replicas in all', (i) => ({ ...i, tasks: [60, 50].map((minimum, n) => ({ ...(i.tasks?.[0] as Task), id: randomUUID(), name: `t${n}`, minimum })) }), 'its tasks ask for 110 replicas in all; at most 100 are allowed'],
      ['options that are not text', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), options: [{ $: 'x' } as unknown as string] }] }), 'task "web" options has {"$":"x"}'],
      ['a task name with a newline', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), name: 'web\nINJECTED' }] }), 'task 1 has a name "web\\nINJECTED"'],
      ['a schedule that is not text', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), cron: 5 as unknown as string }] }), 'task "web" cron 5'],
    ];

    it.each(cases)('%s', (_name, change, expected) => {
      expect(refusal(change(records()))).toContain(expected);
    });

    it('an instance id that is not a UUID, naming it', () => {
      const input = records();
      expect(() => toDeployment({ ...input, instance: { ...input.instance, id: 'x; rm -rf /' } })).toThrow(new DeploymentRefused('"x; rm -rf /"', 'The instance id "x; rm -rf /" is not a UUID.'));
    });

    it.each([
      ['no instance', (i: DeploymentInput) => ({ ...i, instance: null as never })],
      ['no build', (i: DeploymentInput) => ({ ...i, build: null as never })],
      ['configurations that are not a list', (i: DeploymentInput) => ({ ...i, configurations: 'default' as never })],
      ['tasks that are not a list', (i: DeploymentInput) => ({ ...i, tasks: 'web' as never })],
      ['a task variable that is not an object', (i: DeploymentInput) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), environment: ['X'] as never }] })],
      ['a build with a numeric repository', (i: DeploymentInput) => ({ ...i, build: { ...i.build, container_repository: 42 as never } })],
    ])('malformed records (%s) with DeploymentRefused, never another error', (_name, change) => {
      expect(() => toDeployment(change(records()))).toThrow(DeploymentRefused);
    });
  });

  describe('fingerprint', () => {
    it('is stable across key order and the order tasks are listed in', () => {
      const input = records({
        tasks: [
          { name: 'a', ports: [80], environment: [{ key: 'X', description: '', default: '1' }] },
          { name: 'b', memory: 64 },
        ],
        environment: { B: '2', A: '1' },
      });
      const reordered: DeploymentInput = {
        ...input,
        instance: { ...input.instance, launch_bindings: { environment: { A: '1', B: '2' } } },
        tasks: [...(input.tasks ?? [])].reverse().map((task) => Object.fromEntries(Object.entries(task).reverse()) as unknown as Task),
      };
      expect(toDeployment(reordered).fingerprint).toBe(toDeployment(input).fingerprint);
    });

    it('ignores the agent\u2019s report, other launch_bindings keys and record timestamps', () => {
      const input = records({ environment: { A: '1' } });
      const reported: DeploymentInput = {
        ...input,
        instance: { ...input.instance, updated_at: '2030-01-01T00:00:00Z', deployed_at: '2030-01-01T00:00:00Z', launch_bindings: { environment: { A: '1' }, deployment: { orchestrator: 'docker', fingerprint: 'old', workloads: [{ container_id: 'abc' }] }, note: 'by hand' } },
        tasks: (input.tasks ?? []).map((task) => ({ ...task, updated_at: '2030-01-01T00:00:00Z' })),
      };
      expect(toDeployment(reported).fingerprint).toBe(toDeployment(input).fingerprint);
    });

    it.each<[string, (i: DeploymentInput) => DeploymentInput]>([
      ['the image tag', (i) => ({ ...i, build: { ...i.build, container_tag: '1.2.4' } })],
      ['an input value', (i) => ({ ...i, instance: { ...i.instance, launch_bindings: { environment: { A: '2' } } } })],
      ['a task default', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), environment: [{ key: 'LOG_LEVEL', description: '', default: 'debug' }] }] })],
      ['the replicas', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), minimum: 2 }] })],
      ['a port', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), ports: [8080] }] })],
      ['the memory', (i) => ({ ...i, tasks: [{ ...(i.tasks?.[0] as Task), memory: 512 }] })],
      ['the build', (i) => ({ ...i, build: { ...i.build, id: i.instance.build_id.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }, instance: { ...i.instance, build_id: i.instance.build_id.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) } })],
    ])('changes with %s', (_name, change) => {
      const input = records({ environment: { A: '1' } });
      expect(toDeployment(change(input)).fingerprint).not.toBe(toDeployment(input).fingerprint);
    });

    it('is the SHA-256 of what runs, exported for the listen loop', () => {
      const deployment = toDeployment(records());
      const plans = taskPlansOf(deployment);
      expect(fingerprintOf({ buildId: deployment.build.id, image: 'example/web:1.2.3', tasks: plans, environment: deployment.environment })).toBe(deployment.fingerprint);
    });
  });
});
