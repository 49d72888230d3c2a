/**
 * `hsp agent register|listen`: the platform agent. Declared here (commander only); what a
 * command runs is imported when it runs.
 */
import { Command } from 'commander';
import type { CliIO } from '../../context.js';
import type { RunState } from '../../program.js';
import { withExamples, type Runner } from '../../resource-command.js';

export function agentCommand(run: Runner, _io: CliIO, _state: RunState): Command {
  const agent = new Command('agent').description('Deploy the instances of a platform on this host (the platform agent)');
  void run;
  return withExamples(agent, ['hsp agent register --platform my-host', 'hsp agent listen --platform my-host']);
}
