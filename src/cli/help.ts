/**
 * Help laid out as gh lays it out: what the command does, how to call it, its commands (the
 * program's most used ones first), then its flags. The global flags are described once, in the
 * program's help; a command's help names the ones it takes in one line. Defaults are shown
 * only when they say something (never `(default: [])`).
 *
 * A command that only groups others (`hsp products`, and `hsp` itself) prints its help on
 * stdout and exits 0 when called alone, as gh does: asking what a group holds is no mistake.
 * `hsp help WORDS` is the help of that command, or one sentence when there is no such command.
 */
import { Command, Help, type Option } from 'commander';
import { UsageError } from './errors.js';
import { inheritedGlobalOptions } from './global-options.js';

export const COMMON_GROUP = 'Common commands:';
export const MORE_GROUP = 'More commands:';

const groups = new WeakSet<Command>();

/**
 * Help settings for `configureHelp`: `common` lists the program's most used commands in the
 * order shown (they are in COMMON_GROUP); other groups keep the order they were added in,
 * before MORE_GROUP.
 */
export function helpSettings(common: readonly string[]): Partial<Help> {
  return {
    formatHelp(cmd: Command, helper: Help): string {
      const termWidth = helper.padWidth(cmd, helper);
      const width = helper.helpWidth ?? 80;
      const item = (term: string, description: string) => helper.formatItem(term, termWidth, description, helper);
      const out: string[] = [];
      const description = helper.commandDescription(cmd);
      if (description) out.push(helper.boxWrap(helper.styleCommandDescription(description), width), '');
      out.push(`${helper.styleTitle('Usage:')} ${helper.styleUsage(helper.commandUsage(cmd))}`, '');
      for (const [heading, commands] of commandGroups(cmd, helper, common)) {
        out.push(...helper.formatItemList(heading, commands.map((c) => item(helper.styleSubcommandTerm(helper.subcommandTerm(c)), helper.styleSubcommandDescription(helper.subcommandDescription(c)))), helper));
      }
      const args = helper.visibleArguments(cmd).map((a) => item(helper.styleArgumentTerm(helper.argumentTerm(a)), helper.styleArgumentDescription(helper.argumentDescription(a))));
      out.push(...helper.formatItemList('Arguments:', args, helper));
      const options = helper.visibleOptions(cmd).map((o) => item(helper.styleOptionTerm(helper.optionTerm(o)), helper.styleOptionDescription(helper.optionDescription(o))));
      out.push(...helper.formatItemList('Flags:', options, helper));
      const globals = inheritedGlobalOptions(cmd).map((o) => (o.short ? `${o.short}/${o.long}` : o.long!));
      if (globals.length) {
        const names = helper.boxWrap(globals.join(', '), width - 2).replace(/^/gm, '  ');
        out.push(helper.styleTitle('Global flags (see "hsp help"):'), names, '');
      }
      return out.join('\n');
    },

    // Every command has (hidden) options, so "[options]" after each name in lists says nothing.
    subcommandTerm(command: Command): string {
      return Help.prototype.subcommandTerm.call(this, command).replace(' [options]', '');
    },

    // gh's order: `hsp builds show <id> [flags]`, `hsp products <command> [flags]`.
    commandUsage(command: Command): string {
      const usage = Help.prototype.commandUsage.call(this, command).replace(' [options]', '');
      return `${groups.has(command) ? usage.replace('[command]', '<command>') : usage} [flags]`;
    },

    optionDescription(option: Option): string {
      const extra: string[] = [];
      if (option.argChoices) extra.push(`one of: ${option.argChoices.join(', ')}`);
      const shown = defaultShown(option.defaultValue);
      if (option.defaultValueDescription) extra.push(`default: ${option.defaultValueDescription}`);
      else if (shown !== undefined) extra.push(`default: ${shown}`);
      return extra.length ? `${option.description} (${extra.join('; ')})` : option.description;
    },
  };
}

/** A default worth printing: not an empty list or text, not "off". */
function defaultShown(value: unknown): string | undefined {
  if (value === undefined || value === null || value === false || value === '') return undefined;
  if (Array.isArray(value)) return value.length ? value.join(', ') : undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The command's visible subcommands by heading: COMMON_GROUP first (in `common` order), MORE_GROUP last. */
function commandGroups(cmd: Command, helper: Help, common: readonly string[]): [string, Command[]][] {
  const byHeading = new Map<string, Command[]>();
  for (const command of helper.visibleCommands(cmd)) {
    const heading = command.helpGroup() || 'Commands:';
    byHeading.set(heading, [...(byHeading.get(heading) ?? []), command]);
  }
  const rank = (heading: string) => (heading === COMMON_GROUP ? 0 : heading === MORE_GROUP ? 2 : 1);
  const position = (command: Command) => common.indexOf(command.name());
  return [...byHeading]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([heading, commands]) => [heading, heading === COMMON_GROUP ? [...commands].sort((a, b) => position(a) - position(b)) : commands]);
}

/** Builds the subcommands a command defers (a noun's verbs) before they are looked at. */
export type Expand = (command: Command) => void;

/**
 * Makes every command of the tree that only groups others print its help when called alone
 * (stdout, exit 0), and name an unknown subcommand in one sentence. Call once the tree is
 * complete and its settings are inherited (this sets `allowExcessArguments` on the groups).
 */
export function helpForGroups(parent: Command, expand: Expand): void {
  for (const command of [parent, ...parent.commands]) {
    if (command !== parent) helpForGroups(command, expand);
    if (!command.commands.length || groups.has(command) || hasAction(command)) continue;
    groups.add(command);
    command.allowExcessArguments(true).action((_opts: unknown, self: Command) => {
      const [first, ...rest] = self.args;
      if (first === undefined) return self.outputHelp();
      // `hsp products help list`, as commander allowed before `hsp help products list`.
      if (first === 'help') return showHelp(self, rest, expand);
      throw unknownCommand(self, first);
    });
  }
}

/** The hidden `hsp help [command...]`. */
export function helpCommand(program: Command, expand: Expand): Command {
  const help = new Command('help').description('Show the help of a command').argument('[command...]', 'the command, e.g. products list');
  help.action((words: string[]) => showHelp(program, words, expand));
  return help.addHelpText('after', '\nExamples:\n  $ hsp help\n  $ hsp help products list');
}

/** Prints the help of the command these words lead to from `from`, on stdout. */
function showHelp(from: Command, words: string[], expand: Expand): void {
  let target = from;
  for (const word of words) {
    expand(target);
    const next = target.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) throw unknownCommand(target, word);
    target = next;
  }
  expand(target);
  target.outputHelp();
}

/** The sentence commander says for an unknown command, with its suggestion. */
function unknownCommand(parent: Command, word: string): UsageError {
  const names = parent.createHelp().visibleCommands(parent).flatMap((c) => [c.name(), ...c.aliases()]);
  const similar = closest(word, names);
  const suggestion = similar.length > 1 ? ` Did you mean one of ${similar.join(', ')}?` : similar.length ? ` Did you mean ${similar[0]}?` : '';
  return new UsageError(`Unknown command '${word}'.${suggestion}`);
}

/** The candidates nearest to `word` by edit distance, when near enough to be a typo (as commander suggests). */
function closest(word: string, candidates: string[]): string[] {
  let best = 3;
  let similar: string[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate.length <= 1) continue;
    const distance = editDistance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) [best, similar] = [distance, [candidate]];
    else if (distance === best) similar.push(candidate);
  }
  return similar.sort((a, b) => a.localeCompare(b));
}

/** Damerau–Levenshtein (optimal string alignment) distance. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** Whether the command runs something of its own (commander keeps the handler private). */
function hasAction(command: Command): boolean {
  return (command as unknown as { _actionHandler?: unknown })._actionHandler != null;
}
