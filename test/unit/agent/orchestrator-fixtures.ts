/** Marketplace records for one instance, as the listen loop fetches them, for the orchestrator tests. */
import { randomUUID } from 'node:crypto';
import type { DeploymentInput } from '../../../src/agent/deployment.js';
import type { Build, Configuration, Instance, Task } from '../../../src/index.js';

export interface RecordsOptions {
  image?: { repository: string | null; tag: string | null };
  tasks?: Partial<Task>[];
  environment?: Record<string, unknown>;
  launchBindings?: Record<string, unknown>;
}

const at = (n: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();

export function records(options: RecordsOptions = {}): DeploymentInput {
  const platformId = randomUUID();
  const buildId = randomUUID();
  const configuration: Configuration = { id: randomUUID(), build_id: buildId, name: 'default', created_at: at(0), updated_at: at(0) };
  const build: Build = {
    id: buildId,
    product_id: randomUUID(),
    version: '1.0.0',
    release_notes: null,
    permissions: null,
    container_repository: options.image ? options.image.repository : 'example/web',
    container_tag: options.image ? options.image.tag : '1.2.3',
    validated_at: null,
    published_at: null,
    created_at: at(0),
    updated_at: at(0),
  };
  const tasks: Task[] = (options.tasks ?? [{ name: 'web', ports: [80], memory: 256, environment: [{ key: 'LOG_LEVEL', description: 'how much to log', default: 'info' }] }]).map(
    (task, index) => ({
      id: randomUUID(),
      configuration_id: configuration.id,
      name: `task-${index}`,
      minimum: null,
      maximum: null,
      memory: null,
      created_at: at(index + 1),
      updated_at: at(index + 1),
      ...task,
    }),
  );
  const instance: Instance = {
    id: randomUUID(),
    platform_id: platformId,
    build_id: buildId,
    launch_bindings: options.launchBindings ?? (options.environment ? { environment: options.environment } : {}),
    deployed_at: null,
    created_at: at(9),
    updated_at: at(9),
  };
  return { platformId, instance, build, configurations: [configuration], tasks };
}
