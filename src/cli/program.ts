/**
 * The `hsp` command tree. Commands are declared here (cheap: commander only); what they run
 * is imported when they run, so `hsp --version` and `hsp --help` stay fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { createContext, type CliIO, type GlobalOptions, type TargetResolver } from './context.js';
import { describeError, EXIT, exitCodeFor } from './errors.js';
import { nounCommand, type Runner } from './resource-command.js';
import { nouns } from './nouns/index.js';

export interface ProgramOptions {
  io: CliIO;
  resolveTarget?: TargetResolver;
}

/** Runs `hsp` with these arguments (without `node hsp`) and resolves to the exit code. */
export async function runCli(args: string[], options: ProgramOptions): Promise<number> {
  const { io } = options;
  let exitCode: number = EXIT.ok;
  const program = buildProgram(options, (code) => (exitCode = code));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const { message, hint } = describeError(error);
    io.stderr.write(`${message}\n${hint ? `${hint}\n` : ''}`);
    return exitCodeFor(error);
  }
  return exitCode;
}

export function buildProgram(options: ProgramOptions, setExitCode: (code: number) => void): Command {
  const { io } = options;
  const program = new Command('hsp')
    .description('The HL7 Health Services Platform (HSP) Marketplace from the command line.\n"services" is accepted wherever "products" is (Release 1 called products Health Services).')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--url <url>', 'the marketplace (env HSP_URL)')
    .option('--profile <name>', 'a saved marketplace profile (env HSP_PROFILE)')
    .option('--json', 'print the API objects as JSON, nothing else')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']))
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('--no-interactive', 'never prompt; fail and name the flag instead')
    .option('--debug', 'trace requests on stderr (secrets redacted)')
    .showSuggestionAfterError()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  program.enablePositionalOptions(false);

  const run: Runner = (body) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const opts = command.opts();
    const globals = command.optsWithGlobals() as GlobalOptions;
    const positional = args.slice(0, -2).filter((a): a is string => typeof a === 'string');
    const ctx = await createContext(io, globals, options.resolveTarget);
    await body(ctx, opts, positional);
    setExitCode(EXIT.ok);
  };

  for (const spec of nouns) program.addCommand(nounCommand(spec, run));
  inheritSettings(program);
  return program;
}

/** Commands made apart and added later do not inherit exit and output handling: pass them down. */
function inheritSettings(parent: Command): void {
  for (const child of parent.commands) {
    child.copyInheritedSettings(parent);
    inheritSettings(child);
  }
}
