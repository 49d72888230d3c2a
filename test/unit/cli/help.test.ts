import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, expandAll } from '../../../src/cli/program.js';
import { hsp } from '../../helpers/cli.js';

// Every noun's verbs too (they are otherwise built when a run reaches the noun).
const program = expandAll(buildProgram({ io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} } }));

function paths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((child) => [[...prefix, child.name()], ...paths(child, [...prefix, child.name()])]);
}

describe('hsp --help', () => {
  const all = paths(program);

  it('covers every noun and verb of the issue', () => {
    const names = all.map((p) => p.join(' '));
    for (const expected of [
      'products publish', 'products unpublish', 'products search', 'products logo get', 'products logo set', 'products logo remove',
      'products licenses add', 'products licenses remove', 'products licenses list',
      'builds asset upload', 'builds asset download', 'configurations list', 'tasks create', 'exposures show',
      'dependencies update', 'parameters delete', 'screenshots create', 'licenses list', 'entitlements create',
      'vouchers redeem', 'platforms create', 'instances deploy', 'instances undeploy', 'interfaces list',
      'users list', 'roles create', 'groups list', 'identity-providers enable', 'identity-providers disable',
      'status', 'api', 'completion', 'version',
    ]) expect(names).toContain(expected);
  });

  it.each(all.map((p) => [p.join(' ')]))('hsp %s --help has a description and examples', async (path) => {
    const run = await hsp([...path.split(' '), '--help']);
    expect(run.code).toBe(0);
    // As gh: what the command does comes first, then how to call it.
    const [description, usage] = run.stdout.split('\n\n');
    expect(description?.trim().length).toBeGreaterThan(5);
    expect(usage).toMatch(/^Usage: hsp /);
    expect(run.stdout).toMatch(/\nExamples:\n {2}\$ .*\bhsp /);
  });

  it('lists the nouns in groups, and "services" as the alias of "products"', async () => {
    const run = await hsp(['--help']);
    expect(run.stdout).toMatch(/\nCatalogue:\n {2}products\|services /);
    for (const group of ['Common commands:', 'Licensing:', 'Deployment:', 'Administration:', 'More commands:']) expect(run.stdout).toContain(`\n${group}\n`);
  });

  it('plain "hsp", like "hsp --help", prints the help on stdout, exit 0', async () => {
    const run = await hsp([]);
    expect(run).toEqual({ code: 0, stdout: (await hsp(['--help'])).stdout, stderr: '' });
    expect(run.stdout).toMatch(/^The HL7 Health Services Platform \(HSP\) Marketplace from the command line\.\n[^]*?\n\nUsage: hsp <command> \[flags\]\n\nCommon commands:\n/);
  });

  it('names in each command the global flags it takes, in one line; describes them only in the program', async () => {
    const list = await hsp(['builds', 'list', '--help']);
    expect(list.stdout).toContain('\nGlobal flags (see "hsp help"):\n  --url, --profile, --json, -o/--output, --no-color, --no-interactive, --debug\n');
    expect(list.stdout).not.toContain('--url <url>');
    expect(list.stdout).not.toContain('--version');
    // A download's file is --output-file; -o stays the format there.
    const download = await hsp(['builds', 'asset', 'download', '--help']);
    expect(download.stdout).toContain('\n  --output-file <file>  where to save the file');
    expect(download.stdout).toContain('-o/--output');
    const program = await hsp(['--help']);
    expect(program.stdout).toContain('\n  -o, --output <format>  output format (one of: table, json, yaml)\n');
  });

  it('suggests the command meant, exit 2', async () => {
    const run = await hsp(['plaforms', 'list']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("Unknown command 'plaforms'. Did you mean platforms?\n");
  });
});
