/**
 * A build's configurations and tasks in words a person choosing software reads: "2 instances
 * of example/viewer:1.2, 512 MB memory each, port 8080". Fields are the reference server's
 * (`minimum`, `maximum`, `memory`) or the specification's (`instances_*`, `memory_*`), whichever
 * the task has.
 */
import type { Build } from '../../../sdk/types/builds.js';
import type { Task } from '../../../sdk/types/tasks.js';
import { list, memory } from '../catalogue/words.js';

/** `repository:tag`, the digest when the tag is missing, or nothing for a build without an image. */
export function imageOf(build: Build): string | undefined {
  if (!build.container_repository) return undefined;
  if (build.container_tag) return `${build.container_repository}:${build.container_tag}`;
  if (build.container_digest) return `${build.container_repository}@${build.container_digest}`;
  return build.container_repository;
}

function count(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** "1 instance", "2 instances", "1 to 3 instances", "at least 2 instances". */
export function instances(task: Task): string {
  const low = count(task.instances_minimum) ?? count(task.minimum);
  // 0 is the reference server's "no maximum".
  const highRaw = count(task.instances_maximum) ?? count(task.maximum);
  const high = highRaw === 0 ? undefined : highRaw;
  const word = (n: number) => (n === 1 ? 'instance' : 'instances');
  if (low !== undefined && high !== undefined) {
    if (low === high) return `${low} ${word(low)}`;
    return `${low} to ${high} instances`;
  }
  if (high !== undefined) return `up to ${high} ${word(high)}`;
  if (low !== undefined && low > 1) return `at least ${low} instances`;
  return '1 instance';
}

/** "512 MB memory each", "256 MB to 1 GB memory each", or nothing. */
export function memoryText(task: Task): string | undefined {
  const low = count(task.memory_minimum);
  const high = count(task.memory_maximum);
  if (low && high && low !== high) return `${memory(low)} to ${memory(high)} memory each`;
  const one = count(task.memory) || high || low;
  return one ? `${memory(one)} memory each` : undefined;
}

/** "port 8080", "ports 80 and 443". */
export function portsText(task: Task): string | undefined {
  const ports = Array.isArray(task.ports) ? task.ports.filter((port) => Number.isInteger(port)) : [];
  if (!ports.length) return undefined;
  return `${ports.length === 1 ? 'port' : 'ports'} ${list(ports.map(String))}`;
}

/** The whole sentence for a task of this build, without its name. */
export function describeTask(task: Task, build: Build): string {
  const image = imageOf(build);
  const parts = [image ? `${instances(task)} of ${image}` : instances(task), memoryText(task), portsText(task)].filter(Boolean);
  const schedule = task.cron ? `, on the schedule “${task.cron}”` : '';
  return `${parts.join(', ')}${schedule}.`;
}
