/**
 * The command tree as completion scripts need it, read from commander: which word leads from
 * one command to the next (names and aliases), what may follow each command (subcommands,
 * flags, argument choices) and what each flag's value is. The shell generators only format it.
 */
import type { Command, Option } from 'commander';
import { inheritedGlobalOptions } from '../global-options.js';

export interface Candidate {
  word: string;
  description: string;
}

/** What a flag's value is: a path, free text, or one of a few words. */
export type ValueKind = { kind: 'file' } | { kind: 'text' } | { kind: 'choice'; choices: readonly string[] };

export interface CompletionTable {
  /** Commands by path ("" is the program, "products list" a verb), each with the words after it. */
  paths: { path: string; candidates: Candidate[] }[];
  /** `parent` + a typed `word` (name or alias) → the child's path. */
  steps: { parent: string; word: string; path: string }[];
  /** Flags taking a value; `path` "" holds the program's flags, the fallback after any command. */
  values: { path: string; flag: string; value: ValueKind }[];
  /** Offered after every command (-h, --help); each command's candidates hold the global flags it takes. */
  globalFlags: Candidate[];
}

const HELP: Candidate[] = [
  { word: '-h', description: 'show help' },
  { word: '--help', description: 'show help' },
];

export function completionTable(program: Command): CompletionTable {
  const table: CompletionTable = { paths: [], steps: [], values: [], globalFlags: [...HELP] };

  const visit = (command: Command, path: string) => {
    const candidates: Candidate[] = [];
    const childPath = (child: Command) => (path ? `${path} ${child.name()}` : child.name());
    for (const child of command.commands) {
      for (const word of [child.name(), ...child.aliases()]) {
        candidates.push({ word, description: firstLine(child.description()) });
        table.steps.push({ parent: path, word, path: childPath(child) });
      }
    }
    const own = visibleOptions(command);
    for (const option of own) {
      const value = valueOf(option);
      for (const flag of [option.short, option.long]) if (value && flag) table.values.push({ path, flag, value });
    }
    // The global flags this command takes (not `hsp serve --json`); their values are the
    // program's, which the scripts fall back on.
    for (const option of [...own, ...inheritedGlobalOptions(command)]) candidates.push(...flagsOf(option));
    for (const argument of command.registeredArguments) {
      for (const choice of argument.argChoices ?? []) candidates.push({ word: choice, description: argument.description || argument.name() });
    }
    table.paths.push({ path, candidates });
    for (const child of command.commands) visit(child, childPath(child));
  };
  visit(program, '');
  return table;
}

function visibleOptions(command: Command): Option[] {
  return command.options.filter((option) => !option.hidden);
}

function flagsOf(option: Option): Candidate[] {
  return [option.short, option.long].filter((f): f is string => !!f).map((word) => ({ word, description: option.description }));
}

/** Only flags that need a value: an optional one (`--published [boolean]`) may stand alone. */
function valueOf(option: Option): ValueKind | undefined {
  if (!option.required) return undefined;
  if (option.argChoices?.length) return { kind: 'choice', choices: option.argChoices };
  return /<[^>]*file[^>]*>/.test(option.flags) ? { kind: 'file' } : { kind: 'text' };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
