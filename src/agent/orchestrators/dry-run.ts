/**
 * The dry-run orchestrator: runs nothing and logs what it would do, so an operator can watch
 * the agent against a real marketplace before it touches the host (and benchmarks can measure
 * the agent alone). Environment values never reach the log, only their names.
 */
import { imageOf, taskPlansOf } from '../deployment.js';
import type { AgentLog, Deployment, DeploymentReport, Endpoint, Orchestrator, Workload } from '../orchestrator.js';

export class DryRunOrchestrator implements Orchestrator {
  readonly name = 'dry-run';

  constructor(private readonly log: AgentLog) {}

  /** Nothing runs, so it cannot tell: the agent trusts its last reports. */
  async list(): Promise<Workload[] | undefined> {
    return undefined;
  }

  async deploy(deployment: Deployment): Promise<DeploymentReport> {
    const plans = taskPlansOf(deployment);
    this.log('dry_run.deploy', {
      instance_id: deployment.instance.id,
      build_id: deployment.build.id,
      image: imageOf(deployment).reference,
      configuration: deployment.configuration.name,
      tasks: plans.map((plan) => ({
        name: plan.name,
        replicas: plan.replicas,
        memory_mib: plan.memoryMiB ?? null,
        ports: plan.ports,
        ...(plan.cron === undefined ? {} : { cron: plan.cron }),
      })),
      environment: Object.keys(deployment.environment).sort(),
      fingerprint: deployment.fingerprint,
    });
    // Where the tasks would listen were they run on this host: something for autowiring to hand
    // on, so that an operator can watch the wiring of a platform before anything runs.
    const endpoints: Endpoint[] = plans
      .filter((plan) => plan.cron === undefined && plan.replicas > 0)
      .flatMap((plan) => plan.ports.map((port) => ({ task: plan.name, port, host: '127.0.0.1', url: `http://127.0.0.1:${port}` })));
    return { orchestrator: this.name, fingerprint: deployment.fingerprint, workloads: [], endpoints };
  }

  async remove(instanceId: string): Promise<void> {
    this.log('dry_run.remove', { instance_id: instanceId });
  }
}
