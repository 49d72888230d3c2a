/**
 * How help reads, as gh lays it out: commands before flags, the common commands first, the
 * global flags described once, nothing shown that means nothing (an empty default, a global
 * flag a command ignores), and a group or `hsp help WORDS` answered on stdout.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, expandAll } from '../../../src/cli/program.js';
import { hsp } from '../../helpers/cli.js';

// Every noun's verbs too (they are otherwise built when a run reaches the noun).
const program = expandAll(buildProgram({ io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} } }));

function paths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((child) => [[...prefix, child.name()], ...paths(child, [...prefix, child.name()])]);
}

/** The lines under a heading, up to the blank line that ends its section. */
function section(text: string, heading: string): string[] {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) return [];
  return text.slice(start + heading.length + 2).split('\n\n')[0]!.split('\n');
}

const names = (lines: string[]) => lines.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(/[\s|]/)[0]);

describe('hsp --help', () => {
  it('lists commands before flags: the common ones first, then the nouns by group, then the rest', async () => {
    const { stdout } = await hsp(['--help']);
    const headings = stdout.split('\n').filter((line) => /^[A-Z][\w ()"]*:$/.test(line));
    expect(headings).toEqual(['Common commands:', 'Catalogue:', 'Licensing:', 'Deployment:', 'Administration:', 'More commands:', 'Flags:', 'Examples:']);
    expect(names(section(stdout, 'Common commands:'))).toEqual(['login', 'init', 'publish', 'serve', 'demo', 'status']);
    expect(names(section(stdout, 'More commands:'))).toEqual(['manifest', 'logout', 'whoami', 'auth', 'config', 'api', 'completion', 'version']);
    // The seven global flags, described here and nowhere else.
    expect(names(section(stdout, 'Flags:'))).toEqual(['-v,', '--url', '--profile', '--json', '-o,', '--no-color', '--no-interactive', '--debug', '-h,']);
  });

  it('has no stray "help" command in any list', async () => {
    for (const args of [['--help'], ['products', '--help'], ['config', '--help'], ['builds', 'asset', '--help']]) {
      const { stdout } = await hsp(args);
      expect({ args, help: /^ {2}help\b/m.test(stdout) }).toEqual({ args, help: false });
    }
  });

  it.each(paths(program).map((p) => [p.join(' ')]))('hsp %s --help shows no empty default and no global flag as its own', async (path) => {
    const { stdout } = await hsp([...path.split(' '), '--help']);
    expect(stdout).not.toMatch(/default: (\[\]|""|false)\)/);
    // `login --url` is login's own flag (where to sign in), not the global one.
    const command = path.split(' ').reduce((c: Command, name) => c.commands.find((child) => child.name() === name)!, program);
    const own = new Set(command.options.filter((o) => !o.hidden).map((o) => o.long));
    for (const global of ['--url', '--profile', '--output', '--no-color', '--no-interactive', '--debug']) {
      // A flag's own row: the flag, maybe its value, then the description's column.
      if (!own.has(global)) expect(stdout).not.toMatch(new RegExp(`^ {2}(-\\w, )?${global}( <[^>]+>)? {2,}`, 'm'));
    }
  });

  it('shows a default that says something, without quotes', async () => {
    expect((await hsp(['builds', 'list', '--help'])).stdout).toContain('-L, --limit <n>      show at most this many (default: 30)\n');
  });
});

describe('global flags where they mean something', () => {
  it('hsp serve takes none: no line for them, and --json there is an unknown option (exit 2)', async () => {
    const help = await hsp(['serve', '--help']);
    expect(help.stdout).not.toContain('Global flags');
    expect(await hsp(['serve', '--json'])).toEqual({ code: 2, stdout: '', stderr: "Unknown option '--json'.\n" });
  });

  it('hsp serve token prints JSON with --json, and names that flag alone', async () => {
    expect((await hsp(['serve', 'token', '--help'])).stdout).toContain('\nGlobal flags (see "hsp help"):\n  --json\n');
  });

  it('hsp manifest convert has no output format: -o there names the flag that writes a file', async () => {
    const help = (await hsp(['manifest', 'convert', '--help'])).stdout;
    expect(help).toContain('\nGlobal flags (see "hsp help"):\n  --no-color\n');
    expect(help).toContain('\n  --output-file <file>  write the manifest to this file instead of stdout\n');
  });
});

describe('a group alone, and hsp help', () => {
  it('"hsp products" prints the help of products on stdout, exit 0, as "hsp products --help"', async () => {
    const alone = await hsp(['products']);
    expect(alone).toEqual({ code: 0, stdout: (await hsp(['products', '--help'])).stdout, stderr: '' });
    expect(alone.stdout).toMatch(/^Products \(Health Services\) in the catalogue\n\nUsage: hsp products\|services <command> \[flags\]\n\nCommands:\n {2}list\|ls /);
  });

  it('"hsp help WORDS" is that command\'s help; "hsp products help list" too', async () => {
    const expected = (await hsp(['products', 'list', '--help'])).stdout;
    expect(await hsp(['help', 'products', 'list'])).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(await hsp(['help', 'services', 'ls'])).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(await hsp(['products', 'help', 'list'])).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(await hsp(['help'])).toEqual({ code: 0, stdout: (await hsp(['--help'])).stdout, stderr: '' });
  });

  it('an unknown command is one sentence with a suggestion, exit 2, never the whole help', async () => {
    expect(await hsp(['help', 'nosuch'])).toEqual({ code: 2, stdout: '', stderr: "Unknown command 'nosuch'.\n" });
    expect(await hsp(['help', 'produtcs'])).toEqual({ code: 2, stdout: '', stderr: "Unknown command 'produtcs'. Did you mean products?\n" });
    expect(await hsp(['help', 'products', 'lst'])).toEqual({ code: 2, stdout: '', stderr: "Unknown command 'lst'. Did you mean one of list, ls?\n" });
    expect(await hsp(['products', 'lst'])).toEqual({ code: 2, stdout: '', stderr: "Unknown command 'lst'. Did you mean one of list, ls?\n" });
  });
});
