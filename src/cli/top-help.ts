/**
 * `hsp`, `hsp --help`, `hsp -h` and `hsp help` without building the command tree, or loading
 * commander.
 *
 * Loading commander and declaring the whole tree costs about half of what Node takes to start,
 * and the program's own help needs none of it: only each top-level command's name, arguments
 * and one line, and the program's flags. Those are declared here, lightly, and laid out as
 * commander lays out the full tree with help.ts's settings (gh's order: common commands
 * first, then the groups, "More commands" last, then flags). A unit test compares this page
 * with the one the full tree prints at several terminal widths, so a command added or
 * re-worded there, or a change in commander's layout, cannot go unnoticed here.
 */
import { fstatSync } from 'node:fs';

export const PROGRAM_DESCRIPTION =
  'The HL7 Health Services Platform (HSP) Marketplace from the command line.\n"services" is accepted wherever "products" is (Release 1 called products Health Services).';

/** The commands a newcomer needs first, listed first in `hsp --help` in this order. */
export const COMMON_COMMANDS = ['login', 'init', 'publish', 'serve', 'demo', 'status'];

export const PROGRAM_EXAMPLES = ['hsp products list', 'hsp builds list --product "My SMART App" --json', 'hsp status', 'hsp api GET /products -f published=true'];

export const PROGRAM_FOOTER =
  '\nRun "hsp help <command>" (or "hsp <command> --help") for its commands and flags.\nExit codes: 0 done, 1 failed, 2 usage error, 4 sign-in needed, 130 interrupted.';

/** A top-level command as its line in `hsp --help` shows it: `[name, arguments, description, group]`. */
type Line = [name: string, args: string, description: string, group?: string];

/** In the order the full tree adds them (the help keeps that order within a group). */
const COMMANDS: Line[] = [
  ['products', '', 'Products (Health Services) in the catalogue', 'Catalogue:'],
  ['builds', '', "A product's builds: the versions that can be deployed", 'Catalogue:'],
  ['configurations', '', "A build's configurations: named ways to run it (their tasks say what runs)", 'Catalogue:'],
  ['tasks', '', "A configuration's tasks: the processes it runs, with their counts and memory", 'Catalogue:'],
  ['exposures', '', "A build's exposures: the interfaces it offers to others (e.g. FHIR R4)", 'Catalogue:'],
  ['dependencies', '', "A build's dependencies: the interfaces it needs from other products on the platform", 'Catalogue:'],
  ['parameters', '', "An exposure's parameters: settings it needs at launch (e.g. FHIR_BASE_URL)", 'Catalogue:'],
  ['screenshots', '', "A product's screenshots (captioned images)", 'Catalogue:'],
  ['licenses', '', 'Licenses: usage terms products are offered under (see "hsp products licenses")', 'Licensing:'],
  ['entitlements', '', "Entitlements: a product's license acquired by one user", 'Licensing:'],
  ['vouchers', '', 'Vouchers: codes redeemable for a product license', 'Licensing:'],
  ['platforms', '', 'Platforms: hosts or clusters where builds run, each with an agent', 'Deployment:'],
  ['instances', '', 'Instances: builds deployed on a platform', 'Deployment:'],
  ['interfaces', '', 'Interfaces: standards builds expose and depend on (FHIR R4, CDS Hooks…)', 'Administration:'],
  ['users', '', 'Users: people, with their roles and platforms', 'Administration:'],
  ['roles', '', 'Roles: permission sets held by users and groups', 'Administration:'],
  ['groups', '', 'Groups: sets of users that hold roles together', 'Administration:'],
  ['identity-providers', '', 'Identity providers: the OpenID Connect services users sign in with', 'Administration:'],
  ['publish', '[file]', 'Make the marketplace match a manifest (hsp.yaml or marketplace.json): plan, then apply'],
  ['init', '[dir]', 'Write a commented hsp.yaml for a new product (asks at a terminal; from flags in scripts and CI)'],
  ['manifest', '', "Check and convert manifests (hsp.yaml, and the specification's marketplace.json)"],
  ['agent', '', 'Deploy the instances of a platform on this host (the platform agent)', 'Deployment:'],
  ['login', '', 'Sign in to a marketplace and save it as a profile'],
  ['logout', '', 'Sign out: end the session on the marketplace and delete the stored token'],
  ['whoami', '', 'Who you are signed in as, with which identity provider and permissions'],
  ['auth', '', 'Where your tokens are kept, and the token itself for scripts'],
  ['config', '', 'Read and change settings: url, dialect and platform of a profile, and current_profile'],
  ['serve', '', 'Run a Marketplace Service on this machine (embedded database unless --database-url)'],
  ['demo', '', 'Watch the whole system work on this machine: a marketplace, products published from manifests, an agent deploying one'],
  ['status', '', "The marketplace's health, and who you are signed in as with which permissions"],
  ['api', '<method> <path>', 'Send any request to the marketplace, signed in, and print the JSON answer (as "gh api")'],
  ['completion', '<shell>', 'Print a shell completion script (commands, verbs and flags)'],
  ['version', '', 'Print the version of hsp and of Node.js'],
];

/** Aliases shown beside a name (`products|services`). */
const ALIASES: Record<string, string> = { products: 'services' };

/** The program's flags as its help lists them (global-options.ts declares them for commander). */
const FLAGS: [term: string, description: string][] = [
  ['-v, --version', 'print the version'],
  ['--url <url>', 'the marketplace (env HSP_URL)'],
  ['--profile <name>', 'a saved marketplace profile (env HSP_PROFILE)'],
  ['--json', 'print the API objects as JSON, nothing else'],
  ['-o, --output <format>', 'output format (one of: table, json, yaml)'],
  ['--no-color', 'no colour (also NO_COLOR)'],
  ['--no-interactive', 'never prompt; fail and name the flag instead'],
  ['--debug', 'trace requests on stderr (secrets redacted)'],
  ['-h, --help', 'show help'],
];

// help.ts's group headings (not imported: help.ts loads commander).
const COMMON_GROUP = 'Common commands:';
const MORE_GROUP = 'More commands:';

/**
 * The program's help, as `hsp --help` prints it with the whole tree built.
 * @param width the terminal's width; commander's default (80) when not a terminal
 */
export function topLevelHelp(width = terminalWidth() ?? 80): string {
  const groups = new Map<string, [string, string][]>();
  for (const [name, args, description, group] of COMMANDS) {
    const heading = group ?? (COMMON_COMMANDS.includes(name) ? COMMON_GROUP : MORE_GROUP);
    const term = [ALIASES[name] ? `${name}|${ALIASES[name]}` : name, args].filter(Boolean).join(' ');
    groups.set(heading, [...(groups.get(heading) ?? []), [term, description]]);
  }
  const rank = (heading: string) => (heading === COMMON_GROUP ? 0 : heading === MORE_GROUP ? 2 : 1);
  const position = ([term]: [string, string]) => COMMON_COMMANDS.indexOf(term.split(' ')[0]!);
  const sections = [...groups]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([heading, items]) => [heading, heading === COMMON_GROUP ? [...items].sort((a, b) => position(a) - position(b)) : items] as const);
  sections.push(['Flags:', FLAGS]);
  const termWidth = Math.max(...sections.flatMap(([, items]) => items.map(([term]) => term.length)));
  const out = [boxWrap(PROGRAM_DESCRIPTION, width), '', 'Usage: hsp <command> [flags]', ''];
  for (const [heading, items] of sections) out.push(heading, ...items.map(([term, description]) => formatItem(term, termWidth, description, width)), '');
  const examples = `\nExamples:\n${PROGRAM_EXAMPLES.map((line) => `  $ ${line}`).join('\n')}`;
  return `${out.join('\n')}${examples}\n${PROGRAM_FOOTER}\n`;
}

/**
 * Standard output's width when it is a terminal. Asking process.stdout creates the stream (a
 * few milliseconds), so a pipe or a file (not a character device) is told apart first.
 */
function terminalWidth(): number | undefined {
  try {
    if (!fstatSync(1).isCharacterDevice()) return undefined;
  } catch {
    return undefined;
  }
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

// Below: commander's Help.formatItem and Help.boxWrap (commander 14), for text without colour.

/** Commander does not wrap into a column narrower than this. */
const MIN_WIDTH_TO_WRAP = 40;

/** `  term  description`, the description wrapped in its column. */
function formatItem(term: string, termWidth: number, description: string, width: number): string {
  const remaining = width - termWidth - 2 - 2;
  const wrapped = remaining < MIN_WIDTH_TO_WRAP || /\n[^\S\r\n]/.test(description) ? description : boxWrap(description, remaining).replace(/\n/g, `\n${' '.repeat(termWidth + 2)}`);
  return `  ${term.padEnd(termWidth)}  ${wrapped.replace(/\n/g, '\n  ')}`;
}

/** Wraps at spaces so that no line is longer than `width` (a longer word stays whole). */
function boxWrap(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const lines: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (!chunks) {
      lines.push('');
      continue;
    }
    let current = chunks.shift()!;
    for (const chunk of chunks) {
      if (current.length + chunk.length <= width) {
        current += chunk;
        continue;
      }
      lines.push(current);
      current = chunk.trimStart();
    }
    lines.push(current);
  }
  return lines.join('\n');
}
