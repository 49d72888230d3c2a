/**
 * The dry-run orchestrator: runs nothing and logs what it would do, so an operator can watch
 * the agent against a real marketplace before it touches the host (and benchmarks can measure
 * the agent alone). Environment values never reach the log, only their names.
 */
import { imageOf, taskPlansOf } from '../deployment.js';
import type { AgentLog, Deployment, DeploymentReport, Orchestrator, Workload } from '../orchestrator.js';

export class DryRunOrchestrator implements Orchestrator {
  readonly name = 'dry-run';

  constructor(private readonly log: AgentLog) {}

  /** Nothing runs, so it cannot tell: the agent trusts its last reports. */
  async list(): Promise<Workload[] | undefined> {
    return undefined;
  }

  async deploy(deployment: Deployment): Promise<DeploymentReport> {
    this.log('dry_run.deploy', {
      instance_id: deployment.instance.id,
      build_id: deployment.build.id,
      image: imageOf(deployment).reference,
      configuration: deployment.configuration.name,
      tasks: taskPlansOf(deployment).map((plan) => ({
        name: plan.name,
        replicas: plan.replicas,
        memory_mib: plan.memoryMiB ?? null,
        ports: plan.ports,
        ...(plan.cron === undefined ? {} : { cron: plan.cron }),
      })),
      environment: Object.keys(deployment.environment).sort(),
      fingerprint: deployment.fingerprint,
    });
    return { orchestrator: this.name, fingerprint: deployment.fingerprint, workloads: [] };
  }

  async remove(instanceId: string): Promise<void> {
    this.log('dry_run.remove', { instance_id: instanceId });
  }
}
