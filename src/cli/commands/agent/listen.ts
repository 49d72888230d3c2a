/**
 * `hsp agent listen`: the platform agent as a long-running service. Its product is the JSON
 * lines it writes on stdout (one per event and action), whether or not a terminal is attached,
 * so it writes through the agent's logger, never through the CLI's table printer.
 *
 * The log level is `HSP_LOG_LEVEL` (debug, info, warn, error; `--debug` means debug).
 *
 * Runs until SIGTERM or SIGINT: then it stops taking events, lets in-flight actions finish
 * within --grace-period (and aborts them after), and exits 0. A configuration that cannot work
 * (bad flags, an unknown platform, an unreachable Docker Engine) ends at once with one sentence.
 */
import type { LogLevel } from '../../../agent/log.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';

export interface ListenOptions {
  platform: string;
  orchestrator?: string;
  exec?: string[];
  dockerHost?: string;
  healthPort?: string;
  gracePeriod?: string;
  keyFile?: string;
  concurrency?: string;
}

const ORCHESTRATORS = ['docker', 'exec', 'dry-run'] as const;
type OrchestratorKind = (typeof ORCHESTRATORS)[number];
const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const MAX_CONCURRENCY = 256;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

interface Settings {
  kind: OrchestratorKind;
  exec?: string[];
  dockerHost: string;
  healthPort?: number;
  graceMs: number;
  concurrency: number;
  logLevel: LogLevel;
}

export async function listen(ctx: CliContext, flags: Record<string, unknown>, signals: NodeJS.EventEmitter = process): Promise<void> {
  const opts = listenOptions(flags);
  // Flags first: a typo should not cost a sign-in or a connection.
  const settings = await checkedSettings(opts, ctx.io.env, !!ctx.options.debug);

  // Listen for signals before anything starts: until a listener exists, SIGTERM's default
  // action would kill the process on the spot, in the middle of a deploy.
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  signals.once('SIGTERM', onTerm).once('SIGINT', onInt);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const { createLogger } = await import('../../../agent/log.js');
    const log = createLogger(ctx.io.stdout, { level: settings.logLevel });
    const { agentClient } = await import('../../../agent/credentials.js');
    const { client, platform, auth } = await agentClient(ctx, { platform: opts.platform, keyFile: opts.keyFile });
    cleanups.push(() => client.close());
    log('agent.signed_in', { platform: platform.id, name: platform.name, auth });

    // One agent per platform on this host; its state folder outlives a crash (agent-state.ts).
    const [{ openAgentState }, { configDir }] = await Promise.all([import('../../../agent/agent-state.js'), import('../../../auth/paths.js')]);
    const state = await openAgentState(configDir(ctx.io.env), platform.id);
    cleanups.push(() => state.release());

    const { createOrchestrator } = await import('../../../agent/orchestrators/index.js');
    const orchestrator = await createOrchestrator(settings.kind, { log, exec: settings.exec, dockerHost: settings.dockerHost, platformId: platform.id, stateDir: state.dir, orphanWaitMs: settings.graceMs });

    const { Agent } = await import('../../../agent/agent.js');
    const agent = new Agent({ client, platform, orchestrator, log, concurrency: settings.concurrency });

    if (settings.healthPort !== undefined) {
      const { startHealthServer } = await import('../../../agent/health.js');
      const health = await startHealthServer(settings.healthPort, agent).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(healthPortProblem(settings.healthPort!, error));
      });
      cleanups.push(() => health.close());
      log('health.listening', { url: `http://127.0.0.1:${health.port}` });
    }

    await agent.start();
    const ended = agent.run().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const outcome = await Promise.race([stopRequested.then((signal) => ({ signal })), ended.then((error) => ({ error }))]);
    if ('signal' in outcome) {
      log('agent.signal', { signal: outcome.signal, grace_ms: settings.graceMs });
      await agent.stop(settings.graceMs);
      return;
    }
    await agent.stop(0);
    if (outcome.error) throw outcome.error;
  } finally {
    signals.off('SIGTERM', onTerm).off('SIGINT', onInt);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/** Commander's parsed flags, typed. */
function listenOptions(flags: Record<string, unknown>): ListenOptions {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    platform: text(flags.platform) ?? '',
    orchestrator: text(flags.orchestrator),
    exec: Array.isArray(flags.exec) ? flags.exec.map(String) : undefined,
    dockerHost: text(flags.dockerHost),
    healthPort: text(flags.healthPort),
    gracePeriod: text(flags.gracePeriod),
    keyFile: text(flags.keyFile),
    concurrency: text(flags.concurrency),
  };
}

/** Every flag checked, each problem as one sentence naming the flag. */
async function checkedSettings(opts: ListenOptions, env: NodeJS.ProcessEnv, debug: boolean): Promise<Settings> {
  if (opts.platform.trim() === '') throw new UsageError('--platform needs the name or id of a platform.');
  const kind = (opts.orchestrator ?? 'docker') as OrchestratorKind;
  if (!ORCHESTRATORS.includes(kind)) throw new UsageError(`--orchestrator must be docker, exec or dry-run, not "${opts.orchestrator}".`);
  const exec = opts.exec?.length ? opts.exec : undefined;
  if (kind === 'exec' && !exec) throw new UsageError('--orchestrator exec needs the command to run: --exec /path/to/hook [ARG…].');
  if (kind !== 'exec' && exec) throw new UsageError(`--exec works only with --orchestrator exec, not with ${kind}.`);

  const { parseDuration } = await import('../../../agent/duration.js');
  let graceMs: number;
  try {
    graceMs = parseDuration(opts.gracePeriod ?? '30s', '--grace-period');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const concurrencyText = opts.concurrency ?? '4';
  if (!/^\d{1,4}$/.test(concurrencyText) || Number(concurrencyText) < 1 || Number(concurrencyText) > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not "${concurrencyText}".`);
  }

  let healthPort: number | undefined;
  if (opts.healthPort !== undefined) {
    if (!/^\d{1,5}$/.test(opts.healthPort) || Number(opts.healthPort) > 65535) {
      throw new UsageError(`--health-port must be a port number from 0 to 65535, not "${opts.healthPort}".`);
    }
    healthPort = Number(opts.healthPort);
  }

  // The flag, else DOCKER_HOST, as for the docker CLI.
  const dockerHost = opts.dockerHost || env.DOCKER_HOST || DEFAULT_DOCKER_HOST;

  // A service's log level is set where the service is: in its environment.
  const level = env.HSP_LOG_LEVEL?.trim().toLowerCase() || (debug ? 'debug' : 'info');
  if (!LOG_LEVELS.includes(level as LogLevel)) throw new UsageError(`HSP_LOG_LEVEL must be debug, info, warn or error, not "${env.HSP_LOG_LEVEL}".`);

  return { kind, exec, dockerHost, healthPort, graceMs, concurrency: Number(concurrencyText), logLevel: level as LogLevel };
}

function healthPortProblem(port: number, error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return `--health-port ${port} is already in use on 127.0.0.1; choose another port.`;
  if (error.code === 'EACCES') return `Not allowed to listen on --health-port ${port}; choose a port above 1023.`;
  return `Cannot serve health checks on 127.0.0.1:${port}: ${error.message}.`;
}
