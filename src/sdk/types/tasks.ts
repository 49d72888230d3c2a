import type { ClientId, Record_ } from './common.js';

/** An environment variable a task reads (specification schema). */
export interface TaskEnvironmentVariable {
  key: string;
  description: string;
  required?: boolean;
  default?: string;
}

/**
 * One process of a configuration. The reference server stores `name`, `minimum`, `maximum`
 * and `memory` only; the other fields are the specification's and may be absent.
 */
export interface Task extends Record_ {
  configuration_id: string;
  name: string;
  /** Fewest instances to run. */
  minimum: number | null;
  /** Most instances to run. */
  maximum: number | null;
  /** Memory per instance, in MB (the reference server defaults to 1024). */
  memory: number | null;
  label?: string;
  memory_minimum?: number;
  memory_maximum?: number;
  instances_minimum?: number;
  instances_maximum?: number;
  options?: string[];
  ports?: number[];
  cron?: string;
  environment?: TaskEnvironmentVariable[];
}

export interface TaskCreateParams extends ClientId {
  name: string;
  minimum?: number;
  maximum?: number;
  memory?: number;
  label?: string;
  memory_minimum?: number;
  memory_maximum?: number;
  instances_minimum?: number;
  instances_maximum?: number;
  options?: string[];
  ports?: number[];
  cron?: string;
  environment?: TaskEnvironmentVariable[];
}

export type TaskUpdateParams = Partial<Omit<TaskCreateParams, 'id'>>;
