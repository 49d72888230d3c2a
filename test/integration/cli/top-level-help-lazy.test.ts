/**
 * `hsp --help` and `hsp --version` answer without the command tree: the built bin/hsp in a
 * child process, with a resolve hook logging what it imports, loads neither commander nor the
 * module declaring the commands, and prints the page the full tree prints. A command's own help
 * still builds the tree, as before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { moduleLog } from '../../helpers/module-log.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hsp-top-help-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `hsp …` as a process: its exit, and the modules it imported. */
async function run(args: string[]) {
  const modules = await moduleLog(await mkdtemp(join(scratch, 'run-')));
  const exit = await spawnHsp(args, { env: modules.env }).exited;
  const loaded = await modules.loaded();
  // The hook saw the CLI load: an empty log would prove nothing.
  expect(loaded.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
  return { ...exit, commander: loaded.filter((url) => url.includes('/node_modules/commander/')), tree: loaded.filter((url) => /\/dist\/program-[^/]+\.js$/.test(url)) };
}

describe('the program’s help and version, without the tree', () => {
  it.each([[[]], [['--help']], [['-h']], [['help']]])('hsp %j prints the full tree’s help and loads neither commander nor the tree', async (args) => {
    const expected = (await hsp(['--help'])).stdout;
    const { code, stdout, stderr, commander, tree } = await run(args);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(expected);
    expect(commander).toEqual([]);
    expect(tree).toEqual([]);
  });

  it('hsp --version prints the version and loads neither', async () => {
    const { code, stdout, commander, tree } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect([...commander, ...tree]).toEqual([]);
  });

  it.each([[['products', '--help']], [['help', 'products']], [['products']]])('hsp %j still builds the tree for the noun’s help', async (args) => {
    const { code, stdout, tree } = await run(args);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: hsp products|services <command> [flags]');
    expect(stdout).toMatch(/^ {2}list\b/m);
    expect(tree.length).toBe(1);
  });
});
