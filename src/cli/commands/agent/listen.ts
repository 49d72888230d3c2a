/**
 * `hsp agent listen`: the platform agent as a long-running service. Its product is the JSON
 * lines it writes on stdout (one per event and action), whether or not a terminal is attached,
 * so it writes through the agent's logger, never through the CLI's table printer.
 *
 * The log level is `HSP_LOG_LEVEL` (debug, info, warn, error; `--debug` means debug).
 *
 * Runs until SIGTERM or SIGINT: then it stops taking events, lets in-flight actions finish
 * within --grace-period (and aborts them after), and exits 0. A configuration that cannot work
 * (bad flags, an unknown platform, an unreachable Docker Engine or Kubernetes API server) ends at
 * once with one sentence.
 *
 * Telemetry: `--otel-collector-url` (env HSP_OTEL_COLLECTOR_URL) is the collector the platform
 * provides its products; every deployed task gets it as OPENTELEMETRY_COLLECTOR_URL. The
 * agent's own traces and metrics (deploys, removals, reconciles) go wherever the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT says, and only when it is set (../../../telemetry/settings.ts).
 *
 * Licences: before each deploy the agent asks the marketplace whether the platform's owner may
 * use the product, and does not deploy on a "no" or on no answer. `--no-licence-check` (env
 * HSP_AGENT_LICENCE_CHECK=false) turns that off, for a marketplace whose authorization endpoint
 * exists but fails (the reference server's answers 500).
 */
import type { LogLevel } from '../../../agent/log.js';
import type { AgentLog } from '../../../agent/orchestrator.js';
import { startTelemetry, stopTelemetry } from '../../../telemetry/process-telemetry.js';
import { telemetrySettings, TelemetrySettingsError, type TelemetrySettings } from '../../../telemetry/settings.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';

export interface ListenOptions {
  platform: string;
  orchestrator?: string;
  exec?: string[];
  dockerHost?: string;
  kubeconfig?: string;
  namespace?: string;
  rolloutTimeout?: string;
  healthPort?: string;
  gracePeriod?: string;
  keyFile?: string;
  concurrency?: string;
  otelCollectorUrl?: string;
  /** `false`: --no-licence-check; `true`: --licence-check; absent: HSP_AGENT_LICENCE_CHECK decides. */
  licenceCheck?: boolean;
}

const ORCHESTRATORS = ['docker', 'kubernetes', 'exec', 'dry-run'] as const;
type OrchestratorKind = (typeof ORCHESTRATORS)[number];
const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const MAX_CONCURRENCY = 256;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

interface Settings {
  kind: OrchestratorKind;
  exec?: string[];
  dockerHost: string;
  kubernetes?: { kubeconfig?: string; kubeconfigSource?: string; namespace?: string; homeDir?: string; rolloutTimeoutMs: number };
  healthPort?: number;
  graceMs: number;
  concurrency: number;
  logLevel: LogLevel;
  /** Given to every deployed task as OPENTELEMETRY_COLLECTOR_URL. */
  collectorUrl?: string;
  /** The agent's own telemetry; absent: off. */
  telemetry?: TelemetrySettings;
  /** Whether the agent asks the marketplace about licences before a deploy. */
  licenceCheck: boolean;
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
    let log: AgentLog = createLogger(ctx.io.stdout, { level: settings.logLevel });
    // First in, last out: the final events of the stop are in the last batch sent.
    const telemetry = await startTelemetry(settings.telemetry);
    if (telemetry) {
      const traced = (await import('../../../telemetry/agent-log.js')).traceAgentLog(log, telemetry);
      log = traced.log;
      cleanups.push(async () => {
        traced.endOpen();
        await stopTelemetry();
      });
    }
    const { agentClient } = await import('../../../agent/credentials.js');
    const { client, platform, auth } = await agentClient(ctx, { platform: opts.platform, keyFile: opts.keyFile });
    cleanups.push(() => client.close());
    log('agent.signed_in', { platform: platform.id, name: platform.name, auth });

    // One agent per platform on this host; its state folder outlives a crash (agent-state.ts).
    const [{ openAgentState }, { configDir }] = await Promise.all([import('../../../agent/agent-state.js'), import('../../../auth/paths.js')]);
    const state = await openAgentState(configDir(ctx.io.env), platform.id);
    cleanups.push(() => state.release());

    const { createOrchestrator } = await import('../../../agent/orchestrators/index.js');
    const orchestrator = await createOrchestrator(settings.kind, {
      log,
      exec: settings.exec,
      dockerHost: settings.dockerHost,
      ...(settings.kubernetes ? { kubernetes: settings.kubernetes } : {}),
      platformId: platform.id,
      stateDir: state.dir,
      orphanWaitMs: settings.graceMs,
    });

    const { Agent } = await import('../../../agent/agent.js');
    const environment = settings.collectorUrl ? { OPENTELEMETRY_COLLECTOR_URL: settings.collectorUrl } : undefined;
    const agent = new Agent({ client, platform, orchestrator, log, concurrency: settings.concurrency, licenceCheck: settings.licenceCheck, ...(environment ? { environment } : {}) });

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
    kubeconfig: text(flags.kubeconfig),
    namespace: text(flags.namespace),
    rolloutTimeout: text(flags.rolloutTimeout),
    healthPort: text(flags.healthPort),
    gracePeriod: text(flags.gracePeriod),
    keyFile: text(flags.keyFile),
    concurrency: text(flags.concurrency),
    otelCollectorUrl: text(flags.otelCollectorUrl),
    licenceCheck: typeof flags.licenceCheck === 'boolean' ? flags.licenceCheck : undefined,
  };
}

/** Every flag checked, each problem as one sentence naming the flag. */
async function checkedSettings(opts: ListenOptions, env: NodeJS.ProcessEnv, debug: boolean): Promise<Settings> {
  if (opts.platform.trim() === '') throw new UsageError('--platform needs the name or id of a platform.');
  const kind = (opts.orchestrator ?? 'docker') as OrchestratorKind;
  if (!ORCHESTRATORS.includes(kind)) throw new UsageError(`--orchestrator must be docker, kubernetes, exec or dry-run, not "${opts.orchestrator}".`);
  const exec = opts.exec?.length ? opts.exec : undefined;
  if (kind === 'exec' && !exec) throw new UsageError('--orchestrator exec needs the command to run: --exec /path/to/hook [ARG…].');
  if (kind !== 'exec' && exec) throw new UsageError(`--exec works only with --orchestrator exec, not with ${kind}.`);

  const { parseDuration } = await import('../../../agent/duration.js');
  const duration = (text: string, flag: string) => {
    try {
      return parseDuration(text, flag);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const graceMs = duration(opts.gracePeriod ?? '30s', '--grace-period');
  const kubernetes = kind === 'kubernetes' ? kubernetesSettings(opts, env, duration) : undefined;
  for (const [flag, value] of [['--kubeconfig', opts.kubeconfig], ['--namespace', opts.namespace], ['--rollout-timeout', opts.rolloutTimeout]] as const) {
    if (kind !== 'kubernetes' && value !== undefined) throw new UsageError(`${flag} works only with --orchestrator kubernetes, not with ${kind}.`);
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

  // The flag, else the environment, as for every other setting of a service.
  const collectorUrl = collectorUrlOf(opts.otelCollectorUrl, env.HSP_OTEL_COLLECTOR_URL);

  // The flag, else the environment; on unless turned off.
  const licenceCheck = opts.licenceCheck ?? switchOf('HSP_AGENT_LICENCE_CHECK', env.HSP_AGENT_LICENCE_CHECK) ?? true;

  let telemetry: TelemetrySettings | undefined;
  try {
    telemetry = telemetrySettings(env, 'hsp-agent');
  } catch (error) {
    if (error instanceof TelemetrySettingsError) throw new UsageError(error.message);
    throw error;
  }

  return {
    kind,
    exec,
    dockerHost,
    ...(kubernetes ? { kubernetes } : {}),
    healthPort,
    graceMs,
    concurrency: Number(concurrencyText),
    logLevel: level as LogLevel,
    ...(collectorUrl ? { collectorUrl } : {}),
    ...(telemetry ? { telemetry } : {}),
    licenceCheck,
  };
}

const ON = ['true', '1', 'yes', 'on'];
const OFF = ['false', '0', 'no', 'off'];

/** An on/off environment variable: true/false (also 1/0, yes/no, on/off); unset or empty: undefined. */
function switchOf(name: string, value: string | undefined): boolean | undefined {
  const text = value?.trim().toLowerCase();
  if (!text) return undefined;
  if (ON.includes(text)) return true;
  if (OFF.includes(text)) return false;
  throw new UsageError(`${name} must be true or false, not ${JSON.stringify(value!.length > 40 ? `${value!.slice(0, 40)}…` : value)}.`);
}

/**
 * The collector URL the tasks get: an http:// or https:// URL, as an OTLP/HTTP exporter takes
 * it. An empty flag or variable means none.
 */
function collectorUrlOf(flag: string | undefined, fromEnv: string | undefined): string | undefined {
  const [name, text] = flag !== undefined ? ['--otel-collector-url', flag] : ['HSP_OTEL_COLLECTOR_URL', fromEnv];
  const value = text?.trim();
  if (!value) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    // Not a URL at all: said below, as a URL of another scheme is.
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(`${name} must be an http:// or https:// URL, such as http://otel-collector:4318, not ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}.`);
  }
  return value;
}

/**
 * As kubectl: --kubeconfig, else KUBECONFIG (a list of files), else ~/.kube/config, else the
 * pod's service account; the namespace from --namespace, else the context's, else `default`.
 */
function kubernetesSettings(opts: ListenOptions, env: NodeJS.ProcessEnv, duration: (text: string, flag: string) => number): NonNullable<Settings['kubernetes']> {
  if (opts.namespace !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace) || opts.namespace.length > 63)) {
    throw new UsageError(`--namespace must be a Kubernetes namespace name (at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit), not ${JSON.stringify(opts.namespace.slice(0, 80))}.`);
  }
  if (opts.kubeconfig !== undefined && opts.kubeconfig.trim() === '') throw new UsageError('--kubeconfig needs the path of a kubeconfig file.');
  const rolloutTimeoutMs = duration(opts.rolloutTimeout ?? '2m', '--rollout-timeout');
  if (rolloutTimeoutMs < 1000) throw new UsageError(`--rollout-timeout must be at least 1s, not "${opts.rolloutTimeout}".`);
  const fromEnv = !opts.kubeconfig && !!env.KUBECONFIG;
  const kubeconfig = opts.kubeconfig || env.KUBECONFIG || undefined;
  const homeDir = env.HOME || env.USERPROFILE || undefined;
  return {
    ...(kubeconfig ? { kubeconfig, kubeconfigSource: fromEnv ? 'KUBECONFIG' : '--kubeconfig' } : {}),
    ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    ...(homeDir ? { homeDir } : {}),
    rolloutTimeoutMs,
  };
}

function healthPortProblem(port: number, error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return `--health-port ${port} is already in use on 127.0.0.1; choose another port.`;
  if (error.code === 'EACCES') return `Not allowed to listen on --health-port ${port}; choose a port above 1023.`;
  return `Cannot serve health checks on 127.0.0.1:${port}: ${error.message}.`;
}
