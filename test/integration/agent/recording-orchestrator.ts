/**
 * The dry-run orchestrator, keeping what each deploy would have given the instance's tasks:
 * the dry-run log lists variable names only (values may be secrets), and wiring tests need
 * the values.
 */
import { taskPlansOf } from '../../../src/agent/deployment.js';
import type { Deployment, DeploymentReport, Orchestrator, Workload } from '../../../src/agent/orchestrator.js';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';

export class RecordingOrchestrator implements Orchestrator {
  private readonly inner = new DryRunOrchestrator(() => {});
  /** The environment of each task of the last deploy, by instance id and task name. */
  readonly environments = new Map<string, Record<string, Record<string, string>>>();

  get name(): string {
    return this.inner.name;
  }

  list(): Promise<Workload[] | undefined> {
    return this.inner.list();
  }

  deploy(deployment: Deployment): Promise<DeploymentReport> {
    this.environments.set(deployment.instance.id, Object.fromEntries(taskPlansOf(deployment).map((plan) => [plan.name, plan.environment])));
    return this.inner.deploy(deployment);
  }

  remove(instanceId: string): Promise<void> {
    this.environments.delete(instanceId);
    return this.inner.remove(instanceId);
  }

  /** The environment of the instance's task, as last deployed. */
  environmentOf(instanceId: string, task: string): Record<string, string> | undefined {
    return this.environments.get(instanceId)?.[task];
  }
}
