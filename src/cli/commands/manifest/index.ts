/** `hsp init` and `hsp manifest validate|convert`: declared here; the work is imported when it runs. */
import { Command } from 'commander';
import { withExamples, type Runner } from '../../resource-command.js';

export function manifestCommands(_run: Runner): Command[] {
  const init = new Command('init').description('Write a commented hsp.yaml for a new product');
  const manifest = new Command('manifest').description('Check and convert manifests (hsp.yaml, marketplace.json)');
  return [withExamples(init, ['hsp init']), withExamples(manifest, ['hsp manifest validate hsp.yaml'])];
}
