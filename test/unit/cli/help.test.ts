import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { hsp } from '../../helpers/cli.js';

const program = buildProgram({ io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} } });

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
    const [, description] = run.stdout.split('\n\n');
    expect(description?.trim().length).toBeGreaterThan(5);
    expect(run.stdout).toMatch(/\nExamples:\n {2}\$ .*\bhsp /);
  });

  it('lists the nouns in groups, and "services" as the alias of "products"', async () => {
    const run = await hsp(['--help']);
    expect(run.stdout).toMatch(/\nCatalogue:\n {2}products\|services /);
    for (const group of ['Licensing:', 'Deployment:', 'Administration:', 'General:']) expect(run.stdout).toContain(`\n${group}\n`);
  });

  it('plain "hsp" prints the help, exit 0', async () => {
    const run = await hsp([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: hsp \[options\] \[command\]\n/);
  });

  it('shows in every command the global options that work after its name', async () => {
    const list = await hsp(['builds', 'list', '--help']);
    expect(list.stdout).toMatch(/\nGlobal Options:\n {2}--url <url> /);
    expect(list.stdout).toContain('-o, --output <format>');
    expect(list.stdout).not.toContain('--version');
    // A download's own -o names the file; the format flag is not offered there.
    const download = await hsp(['builds', 'asset', 'download', '--help']);
    expect(download.stdout).toContain('-o, --output <file>');
    expect(download.stdout).not.toContain('--output <format>');
  });

  it('suggests the command meant, exit 2', async () => {
    const run = await hsp(['plaforms', 'list']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("Unknown command 'plaforms'. Did you mean platforms?\n");
  });
});
