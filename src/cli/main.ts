import { Command } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';

/** The `hsp` program. Command modules are imported only when their command runs. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('hsp')
    .description('The HL7 Health Services Platform (HSP) Marketplace: SDK, CLI, platform agent and local marketplace.')
    .version(VERSION, '-v, --version', 'print the version')
    .showSuggestionAfterError();
  await program.parseAsync(argv);
}
