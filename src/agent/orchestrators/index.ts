/**
 * Chooses and prepares the orchestrator `hsp agent listen --orchestrator` names. Each one is
 * imported only when chosen, so a dry run never loads the Docker client (nor the Kubernetes one).
 */
import { InvalidArgumentError } from '../../sdk/errors.js';
import { isUuid } from '../deployment.js';
import type { AgentLog, Orchestrator } from '../orchestrator.js';
import type { KubernetesOrchestratorOptions } from './kubernetes.js';

export type OrchestratorKind = 'docker' | 'kubernetes' | 'exec' | 'dry-run';

export const ORCHESTRATOR_KINDS: readonly OrchestratorKind[] = ['docker', 'kubernetes', 'exec', 'dry-run'];

export interface OrchestratorOptions {
  log: AgentLog;
  platformId: string;
  /** For `exec`: the command and its arguments (no shell). */
  exec?: readonly string[];
  /** For `docker`: `unix:///var/run/docker.sock`, `tcp://host:port` or `http://host:port`. */
  dockerHost?: string;
  /** For `exec`: how long one run of the hook may take. */
  execTimeoutMs?: number;
  /**
   * For `exec`: the agent's state folder (see agent-state.ts), where running hooks hold their
   * instance's lock, so that a restarted agent never runs a hook beside one its crashed
   * predecessor left running.
   */
  stateDir?: string;
  /** For `exec`: how long such a left-over hook may go on before it is ended (the grace period). */
  orphanWaitMs?: number;
  /** For `docker` and `kubernetes`: gives up connecting when aborted. */
  signal?: AbortSignal;
  /** For `kubernetes`: kubeconfig file(s), namespace, where they came from, rollout timeout (kubernetes-client.ts). */
  kubernetes?: Omit<KubernetesOrchestratorOptions, 'platformId' | 'log' | 'signal'>;
}

/** Checks the options with one sentence per mistake; docker also connects and negotiates here, so a bad host fails at start. */
export async function createOrchestrator(kind: OrchestratorKind, options: OrchestratorOptions): Promise<Orchestrator> {
  // Container labels and the hooks' environment carry it: only a platform id may get there.
  if (!isUuid(options.platformId)) throw new InvalidArgumentError('--platform', `The platform id ${JSON.stringify(String(options.platformId).slice(0, 60))} is not a UUID.`);
  switch (kind) {
    case 'dry-run': {
      const { DryRunOrchestrator } = await import('./dry-run.js');
      return new DryRunOrchestrator(options.log);
    }
    case 'exec': {
      const argv = options.exec ?? [];
      if (argv.length === 0 || argv[0] === '') {
        throw new InvalidArgumentError('--exec', 'The exec orchestrator needs a command: add --exec /path/to/hook (and its arguments).');
      }
      const { ExecOrchestrator } = await import('./exec.js');
      const orchestrator = new ExecOrchestrator({
        argv,
        platformId: options.platformId,
        log: options.log,
        ...(options.execTimeoutMs === undefined ? {} : { timeoutMs: options.execTimeoutMs }),
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
        ...(options.orphanWaitMs === undefined ? {} : { orphanWaitMs: options.orphanWaitMs }),
      });
      // At start, not at the first action: what a crashed agent left running is seen to at once.
      await orchestrator.recover();
      return orchestrator;
    }
    case 'docker': {
      const { parseDockerHost } = await import('./docker-engine.js');
      const dockerHost = options.dockerHost ?? 'unix:///var/run/docker.sock';
      parseDockerHost(dockerHost);
      const { DockerOrchestrator } = await import('./docker.js');
      return DockerOrchestrator.connect({ dockerHost, platformId: options.platformId, log: options.log, ...(options.signal ? { signal: options.signal } : {}) });
    }
    case 'kubernetes': {
      // The Kubernetes client takes about a second to load: only this orchestrator pays for it.
      const { KubernetesOrchestrator } = await import('./kubernetes.js');
      return KubernetesOrchestrator.connect({ ...options.kubernetes, platformId: options.platformId, log: options.log, ...(options.signal ? { signal: options.signal } : {}) });
    }
    default:
      throw new InvalidArgumentError('--orchestrator', `There is no orchestrator ${JSON.stringify(String(kind))}: choose ${ORCHESTRATOR_KINDS.join(', ')}.`);
  }
}
