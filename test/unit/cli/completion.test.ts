import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionTable } from '../../../src/cli/completion/tree.js';
import { nouns } from '../../../src/cli/nouns/index.js';
import { buildProgram, expandAll } from '../../../src/cli/program.js';
import { hsp } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hsp-completion-'));
const scripts: Record<'bash' | 'zsh' | 'fish', string> = { bash: '', zsh: '', fish: '' };

beforeAll(async () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const run = await hsp(['completion', shell]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    scripts[shell] = run.stdout;
  }
  writeFileSync(join(dir, 'hsp.bash'), scripts.bash);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash offers after these words (the last one is the word being completed). */
function complete(...words: string[]): string[] {
  const script = `source ${JSON.stringify(join(dir, 'hsp.bash'))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_hsp; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return run.stdout.split('\n').filter(Boolean);
}

describe('hsp completion bash', () => {
  it('is a script bash -n accepts', () => {
    const run = spawnSync('bash', ['-n'], { input: scripts.bash, encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(scripts.bash).toMatch(/\ncomplete -o default -F _hsp hsp\n$/);
  });

  it('completes nouns (aliases too), verbs, and flags after the verb', () => {
    expect(complete('hsp', 'pro')).toEqual(['products']);
    expect(complete('hsp', 'ser').sort()).toEqual(['serve', 'services']);
    expect(complete('hsp', 'services', 'l')).toEqual(['list', 'ls', 'logo', 'licenses']);
    expect(complete('hsp', 'builds', 'asset', '')).toEqual(expect.arrayContaining(['upload', 'download']));
    expect(complete('hsp', 'builds', 'create', '--product', 'My App', '--v')).toEqual(['--version', '--validated-at']);
    expect(complete('hsp', 'products', 'list', '--js')).toEqual(['--json']);
    expect(complete('hsp', 'serve', '--js')).toEqual([]);
    expect(complete('hsp', '--ver')).toEqual(['--version']);
  });

  it("completes flag values: choices, and nothing for files (bash then offers file names)", () => {
    expect(complete('hsp', 'products', 'logo', 'get', 'App', '--size', '')).toEqual(['large', 'medium', 'small']);
    expect(complete('hsp', 'groups', 'list', '-o', '')).toEqual(['table', 'json', 'yaml']);
    // -o is the output format everywhere; a file to write is --output-file.
    expect(complete('hsp', 'builds', 'asset', 'download', '-o', '')).toEqual(['table', 'json', 'yaml']);
    expect(complete('hsp', 'builds', 'asset', 'download', '--output-file', '')).toEqual([]);
    expect(complete('hsp', 'completion', '')).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
  });
});

describe('hsp completion zsh and fish', () => {
  it('zsh: a #compdef function with descriptions for every noun', () => {
    expect(scripts.zsh.startsWith('#compdef hsp\n')).toBe(true);
    expect(scripts.zsh).toContain('compdef _hsp hsp');
    expect(scripts.zsh).toContain("'products:Products (Health Services) in the catalogue'");
    for (const noun of nouns) expect(scripts.zsh).toContain(`'${noun.name}:`);
    const zsh = spawnSync('zsh', ['-n'], { input: scripts.zsh, encoding: 'utf8' });
    if (!zsh.error) expect(zsh.status).toBe(0);
  });

  it('fish: complete -c hsp with word<TAB>description candidates for every noun', () => {
    expect(scripts.fish).toContain("complete -c hsp -f -a '(__hsp_complete)'");
    expect(scripts.fish).toContain("case 'products|list' 'products|ls'\n            echo 'products list'");
    for (const noun of nouns) expect(scripts.fish).toContain(`'${noun.name}' '`);
    const fish = spawnSync('fish', ['--no-execute'], { input: scripts.fish, encoding: 'utf8' });
    if (!fish.error) expect(fish.status).toBe(0);
  });
});

describe('the completion table', () => {
  const table = completionTable(expandAll(buildProgram({ io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} } })));

  it('steps from a command to its children by name and alias', () => {
    expect(table.steps).toEqual(expect.arrayContaining([
      { parent: '', word: 'services', path: 'products' },
      { parent: 'products', word: 'ls', path: 'products list' },
      { parent: 'instances', word: 'undeploy', path: 'instances undeploy' },
    ]));
  });

  it("knows -o is a format everywhere and a download's --output-file a file", () => {
    expect(table.values).toEqual(expect.arrayContaining([
      { path: '', flag: '-o', value: { kind: 'choice', choices: ['table', 'json', 'yaml'] } },
      { path: 'builds asset download', flag: '--output-file', value: { kind: 'file' } },
      { path: 'manifest convert', flag: '--output-file', value: { kind: 'file' } },
      { path: 'screenshots create', flag: '--image', value: { kind: 'file' } },
    ]));
    expect(table.values.filter((v) => v.flag === '-o').map((v) => v.path)).toEqual(['']);
    expect(table.globalFlags.map((f) => f.word)).toEqual(['-h', '--help']);
  });

  it('offers each command the global flags it takes, and no others', () => {
    const words = (path: string) => table.paths.find((p) => p.path === path)!.candidates.map((c) => c.word);
    expect(words('products list')).toEqual(expect.arrayContaining(['--json', '--url', '-o', '--output', '--debug', '--no-interactive']));
    expect(words('serve')).not.toContain('--json');
    expect(words('serve')).not.toContain('--url');
    expect(words('serve token')).toContain('--json');
    expect(words('manifest convert')).not.toContain('-o');
    expect(words('')).toEqual(expect.arrayContaining(['--version', '--json', '--url']));
    expect(words('products list')).not.toContain('--version');
  });
});
