/**
 * Global options (`--json`, `--url`, `-o`…) work before and after the command's name, as in gh:
 * `hsp --json products list` and `hsp products list --json`. Commander would let the program
 * take its options from anywhere on the line, but then they swallow the commands' own flags of
 * the same name (`builds create --version 1.2.0`, `builds asset download -o app.tgz`). So the
 * program reads its options only before the command's name, and every command carries hidden
 * copies of them, except where it has a flag of its own by that name.
 */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from './context.js';

/** The program's options that commands inherit (`--version` stays the program's alone). */
function globalOptionList(): Option[] {
  return [
    new Option('--url <url>', 'the marketplace (env HSP_URL)'),
    new Option('--profile <name>', 'a saved marketplace profile (env HSP_PROFILE)'),
    new Option('--json', 'print the API objects as JSON, nothing else'),
    new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']),
    new Option('--no-color', 'no colour (also NO_COLOR)'),
    new Option('--no-interactive', 'never prompt; fail and name the flag instead'),
    new Option('--debug', 'trace requests on stderr (secrets redacted)'),
  ];
}

const inherited = new WeakSet<Option>();

/** The options on the program itself, where they are read only before the command's name. */
export function addGlobalOptions(program: Command): Command {
  for (const option of globalOptionList()) program.addOption(option);
  return program.enablePositionalOptions();
}

/** Hidden copies on every command below the program, once the tree is complete. */
export function inheritGlobalOptions(parent: Command): void {
  for (const command of parent.commands) {
    for (const option of globalOptionList()) {
      const own = command.options.some((o) => o.attributeName() === option.attributeName() || (o.short && o.short === option.short) || o.long === option.long);
      if (own) continue;
      inherited.add(option);
      command.addOption(option.hideHelp());
    }
    inheritGlobalOptions(command);
  }
}

/**
 * The global options as given: the innermost command given one wins, else the program's value
 * (its defaults included). A command's own flag of the same name (a download's `-o FILE`) is
 * not a global option.
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
