/**
 * Global options (`--json`, `--url`, `-o`…) work before and after the command's name, as in gh:
 * `hsp --json products list` and `hsp products list --json`. Commander would let the program
 * take its options from anywhere on the line, but then they swallow the commands' own flags of
 * the same name (`builds create --version 1.2.0`, `login --url`). So the program reads its
 * options only before the command's name, and every command carries hidden copies of those
 * that mean something to it (all of them unless it says otherwise: `hsp serve` takes none, so
 * `hsp serve --json` is an unknown option rather than a flag that silently does nothing).
 *
 * `-o, --output` is always the output format. A file to write is `--output-file FILE`
 * everywhere; an `-o` that names no format says so, and names that flag where the command has it.
 */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { UsageError } from './errors.js';

export type GlobalOptionName = keyof GlobalOptions;

export const FORMATS = ['table', 'json', 'yaml'] as const;

/** The flag that names a file to write, wherever a command writes one. */
export const OUTPUT_FILE_FLAG = '--output-file';

/** The program's options that commands inherit (`--version` stays the program's alone). */
function globalOptionList(fileFlag = false): Option[] {
  return [
    new Option('--url <url>', 'the marketplace (env HSP_URL)'),
    new Option('--profile <name>', 'a saved marketplace profile (env HSP_PROFILE)'),
    new Option('--json', 'print the API objects as JSON, nothing else'),
    new Option('-o, --output <format>', 'output format').choices(FORMATS).argParser((value) => parseFormat(value, fileFlag)),
    new Option('--no-color', 'no colour (also NO_COLOR)'),
    new Option('--no-interactive', 'never prompt; fail and name the flag instead'),
    new Option('--debug', 'trace requests on stderr (secrets redacted)'),
  ];
}

/** `-o app.tgz` was the way to name a file in earlier versions: say which flag does that now. */
function parseFormat(value: string, fileFlag: boolean): string {
  if ((FORMATS as readonly string[]).includes(value)) return value;
  const file = fileFlag ? `; to write to a file, use ${OUTPUT_FILE_FLAG} ${value}` : '';
  throw new UsageError(`-o/--output is the output format: table, json or yaml, not "${value}"${file}.`);
}

const inherited = new WeakSet<Option>();
const declared = new WeakMap<Command, readonly GlobalOptionName[]>();

/** The options on the program itself, where they are read only before the command's name. */
export function addGlobalOptions(program: Command): Command {
  for (const option of globalOptionList()) program.addOption(option);
  return program.enablePositionalOptions();
}

/**
 * Declares the global options that mean something to this command, and to its subcommands
 * unless they declare their own. Commands that declare nothing take all of them.
 */
export function usesGlobalOptions<C extends Command>(command: C, names: readonly GlobalOptionName[]): C {
  declared.set(command, names);
  return command;
}

/**
 * Gives every command below the program its hidden copies, when it is about to read its
 * arguments (commander's preSubcommand hook on its parent): a run pays for the few commands
 * on its path, not for all of them (`hsp --help` is benchmarked). Call once the tree is complete.
 */
export function inheritGlobalOptions(parent: Command): void {
  for (const command of parent.commands) inheritGlobalOptions(command);
  if (parent.commands.length) parent.hook('preSubcommand', (_parent, subcommand) => void withGlobalOptions(subcommand));
}

const equipped = new WeakSet<Command>();

/** Adds the hidden copies of the global options this command takes, once. */
function withGlobalOptions(command: Command): Command {
  if (equipped.has(command) || !command.parent) return command;
  equipped.add(command);
  let applies: readonly GlobalOptionName[] | undefined;
  for (let c: Command | null = command; c && !applies; c = c.parent) applies = declared.get(c);
  const fileFlag = command.options.some((o) => o.long === OUTPUT_FILE_FLAG);
  for (const option of globalOptionList(fileFlag)) {
    const own = command.options.some((o) => o.attributeName() === option.attributeName() || (o.short && o.short === option.short) || o.long === option.long);
    if (own) continue;
    const key = option.attributeName() as GlobalOptionName;
    if (applies && !applies.includes(key)) {
      // A command that writes a file but prints no records: `-o FILE` is the old spelling.
      if (key === 'output' && fileFlag) command.addOption(new Option('-o, --output <file>').hideHelp().argParser(noFormat(command)));
      continue;
    }
    inherited.add(option);
    command.addOption(option.hideHelp());
  }
  return command;
}

function noFormat(command: Command): (value: string) => never {
  return (value) => {
    const names: string[] = [];
    for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
    throw new UsageError(`${names.join(' ')} has no output format: to write to a file, use ${OUTPUT_FILE_FLAG} ${value}.`);
  };
}

/** The global options this command takes after its name (hidden in its help, listed in one line). */
export function inheritedGlobalOptions(command: Command): Option[] {
  return withGlobalOptions(command).options.filter((o) => inherited.has(o));
}

/**
 * The global options as given: the innermost command given one wins, else the program's value
 * (its defaults included). A command's own flag of the same name (`login --url`) is not a
 * global option.
 */
export function globalOptionsOf(command: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.push(c);
  const program = chain.at(-1)!;
  const result: Record<string, unknown> = { ...program.opts() };
  for (const key of globalOptionList().map((o) => o.attributeName())) {
    const given = chain.find((c) => c !== program && isInherited(c, key) && c.getOptionValueSource(key) === 'cli');
    if (given) result[key] = given.getOptionValue(key);
  }
  return result as GlobalOptions;
}

function isInherited(command: Command, key: string): boolean {
  return command.options.some((o) => o.attributeName() === key && inherited.has(o));
}
