/**
 * `hsp agent register|listen`: the platform agent. Declared here (commander only); what a
 * command runs is imported when it runs.
 */
import { Command, Option } from 'commander';
import { withExamples, type Runner } from '../../resource-command.js';

export function agentCommand(run: Runner): Command {
  const agent = new Command('agent').description('Deploy the instances of a platform on this host (the platform agent)');

  const register = new Command('register')
    .description("Make this host a platform's agent: create the platform if needed and give it this agent's public key")
    .requiredOption('--platform <name|id>', 'the platform (created with this name when none matches)')
    .option('--key-file <file>', 'where to keep the private key (default: in the config directory, mode 0600)')
    .option('--force', 'replace the key of a platform that already has one');
  register.action(run(async (ctx, opts) => (await import('./register.js')).registerAgent(ctx, opts)));
  agent.addCommand(withExamples(register, ['hsp agent register --platform my-host', 'hsp agent register --platform my-host --key-file /etc/hsp/agent.key']));

  const listen = new Command('listen')
    .description("Deploy, update and remove the platform's instances on this host as the marketplace changes them; runs until SIGTERM")
    .requiredOption('--platform <name|id>', 'the platform to serve')
    .addOption(new Option('--orchestrator <kind>', 'what runs the workloads').choices(['docker', 'kubernetes', 'exec', 'dry-run']).default('docker'))
    .option('--exec <argv...>', 'with --orchestrator exec: the command to run (no shell), with the action as JSON on stdin')
    .option('--docker-host <url>', 'the Docker Engine (env DOCKER_HOST; default unix:///var/run/docker.sock)')
    .option('--kubeconfig <file>', "with --orchestrator kubernetes: the cluster's kubeconfig (env KUBECONFIG; default ~/.kube/config, or the pod's service account)")
    .option('--namespace <name>', "with --orchestrator kubernetes: where to run the instances (default: the context's namespace, or default)")
    .option('--rollout-timeout <duration>', 'with --orchestrator kubernetes: how long a deploy waits for its pods to be ready, e.g. 5m (default 2m)')
    .option('--health-port <port>', 'serve /healthz and /readyz on this port (127.0.0.1)')
    .option('--grace-period <duration>', 'how long to let in-flight actions finish after SIGTERM, e.g. 30s', '30s')
    .option('--key-file <file>', "the agent's private key (default: the one `hsp agent register` wrote)")
    .option('--concurrency <n>', 'instances deployed at once', '4')
    .option('--otel-collector-url <url>', "the platform's OpenTelemetry collector, given to every deployed task as OPENTELEMETRY_COLLECTOR_URL (env HSP_OTEL_COLLECTOR_URL)")
    // Both forms, so that "not given" is told apart and HSP_AGENT_LICENCE_CHECK decides then.
    .addOption(new Option('--licence-check').hideHelp())
    .option('--no-licence-check', "deploy without asking the marketplace whether the platform's owner may use each product: for a marketplace whose authorization endpoint is broken (env HSP_AGENT_LICENCE_CHECK=false)");
  listen.action(run(async (ctx, opts) => (await import('./listen.js')).listen(ctx, opts)));
  agent.addCommand(
    withExamples(listen, [
      'hsp agent listen --platform my-host',
      'hsp agent listen --platform my-host --orchestrator exec --exec /usr/local/bin/deploy-hook',
      'hsp agent listen --platform my-cluster --orchestrator kubernetes --namespace hsp-apps',
      'hsp agent listen --platform my-host --orchestrator dry-run --health-port 8081',
      'hsp agent listen --platform my-host --otel-collector-url http://otel-collector:4318',
      'hsp agent listen --platform my-host --no-licence-check',
    ]),
  );

  return withExamples(agent, ['hsp agent register --platform my-host', 'hsp agent listen --platform my-host']);
}
