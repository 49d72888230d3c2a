/**
 * `hsp init`: from flags without a terminal (as in CI), and as a walk-through at a terminal with
 * the questions answered through the prompt seam (`manifestCommands(run, { prompts })`).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import type { InitPrompts, Question } from '../../../src/cli/commands/manifest/init-prompts.js';
import { manifestCommands } from '../../../src/cli/commands/manifest/index.js';
import { createContext } from '../../../src/cli/context.js';
import { describeError, exitCodeFor } from '../../../src/cli/errors.js';
import { addGlobalOptions, globalOptionsOf, inheritGlobalOptions } from '../../../src/cli/global-options.js';
import type { Runner } from '../../../src/cli/resource-command.js';
import { loadManifest } from '../../../src/manifest/load.js';
import { hsp, type CliRun } from '../../helpers/cli.js';
import { ok } from '../../helpers/cli-expect.js';

const scratch = mkdtempSync(join(tmpdir(), 'hsp-init-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshDir = () => mkdtempSync(join(scratch, `${++folders}-`));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('hsp init from flags (no terminal)', () => {
  it('writes a commented hsp.yaml with a fresh product id, which then loads', async () => {
    const dir = join(freshDir(), 'growth-chart');
    const content = join(freshDir(), 'content');
    mkdirSync(content);
    const run = ok(
      await hsp([
        'init', dir,
        '--name', 'Growth Chart', '--description', 'Charts growth.', '--mime-type', 'application/smart.v1',
        '--image', 'ghcr.io/acme/growth-chart:1.0.0', '--version', '1.0.0',
        '--license-name', 'Apache License 2.0', '--license-url', 'https://www.apache.org/licenses/LICENSE-2.0',
        '--content', content,
      ]),
    );
    const file = join(dir, 'hsp.yaml');
    expect(run.stdout).toBe('');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# hsp\.yaml: a product, and one build of it, for an HL7 HSP Marketplace\.\n/);
    expect(text).toContain('\n# The product as the marketplace lists it.');
    expect(text).toContain('\n  # Optional:\n  # uri: https://example.org/product\n');
    expect(text.endsWith('\n  # dependencies: [{interface: FHIR R4, required: true, mappings: {FHIR_BASE_URL: url}}]\n')).toBe(true);
    const { manifest, warnings } = await loadManifest(file, { strict: true });
    expect(warnings).toEqual([]);
    expect(manifest.product).toEqual({
      id: expect.stringMatching(UUID),
      name: 'Growth Chart',
      description: 'Charts growth.',
      mimeType: 'application/smart.v1',
      licenses: [{ name: 'Apache License 2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' }],
      screenshots: [],
    });
    expect(manifest.build).toEqual({
      version: '1.0.0',
      image: { repository: 'ghcr.io/acme/growth-chart', tag: '1.0.0' },
      content,
      configurations: [{ name: 'default', default: true, tasks: [{ name: 'growth-chart', options: [], ports: [], environment: [] }] }],
      exposures: [],
      dependencies: [],
    });
    expect(run.stderr).toBe(`✓ Wrote ${file} for "Growth Chart" (product id ${manifest.product.id}).\nCheck it with "hsp manifest validate ${file}", then publish it with "hsp publish ${file}".\n`);

    // Another init writes another product.
    const other = freshDir();
    ok(await hsp(['init', other, '--name', 'Growth Chart', '--version', '1.0.0']));
    expect((await loadManifest(join(other, 'hsp.yaml'))).manifest.product.id).not.toBe(manifest.product.id);
  });

  it('refuses to overwrite an existing hsp.yaml without --force', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'hsp.yaml'), 'mine\n');
    const run = await hsp(['init', dir, '--name', 'App', '--version', '1.0.0']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `${join(dir, 'hsp.yaml')} already exists; pass --force to replace it.\n` });
    expect(readFileSync(join(dir, 'hsp.yaml'), 'utf8')).toBe('mine\n');
    ok(await hsp(['init', dir, '--name', 'App', '--version', '1.0.0', '--force']));
    expect((await loadManifest(join(dir, 'hsp.yaml'))).manifest.product.name).toBe('App');
    expect(readdirSync(dir)).toEqual(['hsp.yaml']);
  });

  it.each([
    [['--version', '1.0.0'], '--name is required when hsp init cannot ask (no terminal, or --no-interactive).'],
    [['--name', 'App'], '--version is required when hsp init cannot ask (no terminal, or --no-interactive).'],
    [['--name', 'App', '--version', '1', '--license-name', 'MIT'], '--license-url is required with --license-name.'],
    [['--name', 'App', '--version', '1', '--license-url', 'https://opensource.org/license/mit'], '--license-name is required with --license-url.'],
    [['--name', 'App', '--version', '1', '--license-name', 'MIT', '--license-url', 'mit'], '--license-url "mit" is not an http:// or https:// URL.'],
    [['--name', 'App', '--version', '1', '--image', 'My App'], '--image "My App" is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-".'],
    [['--name', 'App', '--version', '1', '--mime-type', 'smart'], '--mime-type "smart" is not a MIME type such as application/smart.v1.'],
  ])('names what is missing or wrong: %j', async (flags, message) => {
    const dir = freshDir();
    expect(await hsp(['init', dir, ...flags])).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a content folder that does not exist (exit 1: the folder, not the command line, is wrong)', async () => {
    const dir = freshDir();
    const missing = join(dir, 'content');
    expect(await hsp(['init', dir, '--name', 'App', '--version', '1', '--content', missing])).toMatchObject({ code: 1, stderr: `--content ${missing}: there is no such folder.\n` });
  });

  it('at a terminal, --no-interactive still takes everything from flags', async () => {
    const dir = freshDir();
    expect(await hsp(['init', dir, '--no-interactive', '--name', 'App'], { tty: true })).toMatchObject({ code: 2, stderr: '--version is required when hsp init cannot ask (no terminal, or --no-interactive).\n' });
  });
});

/** Answers questions by their first words; each answer is checked as inquirer would, and a rejected one noted. */
function answering(answers: Record<string, string[]>): InitPrompts & { asked: string[]; rejected: string[] } {
  const asked: string[] = [];
  const rejected: string[] = [];
  return {
    asked,
    rejected,
    async input(question: Question) {
      asked.push(question.message);
      const key = Object.keys(answers).find((start) => question.message.startsWith(start));
      if (!key) throw new Error(`unexpected question: ${question.message}`);
      for (;;) {
        const answer = answers[key]!.shift() ?? question.default ?? '';
        const verdict = question.validate?.(answer) ?? true;
        if (verdict === true) return answer;
        rejected.push(`${answer}: ${verdict}`);
      }
    },
  };
}

/** `hsp` with the manifest commands alone, at a terminal, with these prompts. */
async function hspAtTerminal(args: string[], prompts: InitPrompts): Promise<CliRun> {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  // NO_COLOR: the answers are checked, not the paint.
  const io = { stdout, stderr, stdin, env: { NO_COLOR: '1' } };
  const program = addGlobalOptions(new Command('hsp')).configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) }).exitOverride();
  const run: Runner = (body) => async (...given: unknown[]) => {
    const command = given.at(-1) as Command;
    const positional = given.slice(0, -2).filter((a): a is string => typeof a === 'string');
    await body(await createContext(io, globalOptionsOf(command), async () => undefined), command.opts(), positional);
  };
  for (const command of manifestCommands(run, { prompts })) program.addCommand(command.copyInheritedSettings(program));
  inheritGlobalOptions(program);
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
    else {
      stderr.write(`${describeError(error).message}\n`);
      code = exitCodeFor(error);
    }
  }
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

describe('hsp init at a terminal', () => {
  it('asks for what the flags did not give, asks again after an unusable answer, and writes a manifest that loads', async () => {
    const dir = freshDir();
    const content = join(dir, 'content');
    mkdirSync(content);
    const prompts = answering({
      'Product name': ['', 'Bilirubin Chart'],
      Description: [''],
      'MIME type': ['smart', 'application/smart.v1'],
      'Container image': ['Not An Image', 'ghcr.io/acme/bili:2.0.0'],
      Version: [],
      'Licence name': ['MIT License'],
      'Licence URL': ['', 'https://opensource.org/license/mit'],
      Folder: [content],
    });
    const run = ok(await hspAtTerminal(['init', dir], prompts));
    expect(prompts.asked).toEqual([
      'Product name:',
      'Description (optional):',
      'MIME type, e.g. application/smart.v1 (optional):',
      'Container image, repository[:tag] (optional):',
      'Version of the first build:',
      'Licence name (optional):',
      'Licence URL:',
      "Folder shipped as the build's asset (optional):",
    ]);
    expect(prompts.rejected).toEqual([
      ': This one is needed.',
      'smart: This is not a MIME type such as application/smart.v1.',
      'Not An Image: This is not a repository of lowercase letters and digits separated by "/", ".", "_" or "-".',
      ': This one is needed.',
    ]);
    expect(run.stderr).toMatch(/^✓ Wrote .*hsp\.yaml for "Bilirubin Chart"/);
    const { manifest } = await loadManifest(join(dir, 'hsp.yaml'), { strict: true });
    expect(manifest.product).toMatchObject({ name: 'Bilirubin Chart', mimeType: 'application/smart.v1', licenses: [{ name: 'MIT License', url: 'https://opensource.org/license/mit' }] });
    expect(manifest.product).not.toHaveProperty('description');
    // The default version was taken.
    expect(manifest.build).toMatchObject({ version: '0.1.0', image: { repository: 'ghcr.io/acme/bili', tag: '2.0.0' }, content });
    expect(readFileSync(join(dir, 'hsp.yaml'), 'utf8')).toContain('\n  content: ./content\n');
  });

  it('flags that were given are not asked for; no licence name means no licence URL question', async () => {
    const dir = freshDir();
    const prompts = answering({ Description: ['A chart.'], 'MIME type': [''], 'Container image': [''], 'Licence name': [''], Folder: [''] });
    ok(await hspAtTerminal(['init', dir, '--name', 'Chart', '--version', '3.1.0'], prompts));
    expect(prompts.asked).toEqual(['Description (optional):', 'MIME type, e.g. application/smart.v1 (optional):', 'Container image, repository[:tag] (optional):', 'Licence name (optional):', "Folder shipped as the build's asset (optional):"]);
    expect((await loadManifest(join(dir, 'hsp.yaml'))).manifest).toMatchObject({ product: { name: 'Chart', description: 'A chart.', licenses: [] }, build: { version: '3.1.0' } });
  });

  it('asks nothing when the file exists and --force is not given', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'hsp.yaml'), 'mine\n');
    const prompts = answering({});
    expect(await hspAtTerminal(['init', dir], prompts)).toMatchObject({ code: 1, stderr: `${join(dir, 'hsp.yaml')} already exists; pass --force to replace it.\n` });
    expect(prompts.asked).toEqual([]);
  });

  it('a flag that is wrong fails before any question', async () => {
    const prompts = answering({});
    expect(await hspAtTerminal(['init', freshDir(), '--image', 'Bad Image'], prompts)).toMatchObject({ code: 2 });
    expect(prompts.asked).toEqual([]);
  });
});
