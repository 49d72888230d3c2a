/** `hsp publish`: declared here (commander only); the work is imported when it runs. */
import { Command } from 'commander';
import type { RunState } from '../../program.js';
import { withExamples, type Runner } from '../../resource-command.js';

export function publishCommand(run: Runner, _state: RunState): Command {
  const publish = new Command('publish').description('Make the marketplace match a manifest (hsp.yaml or marketplace.json)');
  return withExamples(publish, ['hsp publish hsp.yaml']);
}
