/**
 * `hsp manifest validate` and `hsp manifest convert` as a user runs them (in-process, over
 * in-memory streams), on real files in a temporary folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { sharedDir } from '../../helpers/captures.js';
import { onlyIf, withSpecExamples } from '../../helpers/skips.js';

const scratch = mkdtempSync(join(tmpdir(), 'hsp-manifest-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const freshDir = () => mkdtempSync(join(scratch, `${++folders}-`));

const smartApp = 'examples/smart-app/hsp.yaml';
const bilirubin = 'examples/bilirubin-chart/marketplace.json';
const specSmart = join(sharedDir, 'spec/examples/smart.product.build.json');

const BROKEN = `product:
  name: Chart
build:
  version: 1.0
  relase_notes: x
  configurations:
    - name: default
      tasks: [{ name: web }]
`;

describe('hsp manifest validate', () => {
  it('a valid manifest: one line on stdout, exit 0', async () => {
    const run = ok(await hsp(['manifest', 'validate', smartApp]));
    expect(run).toEqual({ code: 0, stdout: `${smartApp} is a valid hsp.yaml manifest (0 warnings).\n`, stderr: '' });
    expect(ok(await hsp(['manifest', 'validate', bilirubin, '--strict'])).stdout).toBe(`${bilirubin} is a valid marketplace.json manifest (0 warnings).\n`);
  });

  it('every error as file:line:col on stderr, then a summary; exit 1', async () => {
    const file = join(freshDir(), 'hsp.yaml');
    writeFileSync(file, BROKEN);
    const run = await hsp(['manifest', 'validate', file]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `${file}:4:12: error: build.version must be a string.\n${file}:5:3: error: build.relase_notes is not a known key; did you mean release_notes?\n${file} is not a valid manifest (2 errors).\n`,
    });
  });

  it('--json: one document with the format, warnings and errors, and exit 1 when invalid', async () => {
    const file = join(freshDir(), 'hsp.yaml');
    writeFileSync(file, BROKEN);
    const run = await hsp(['manifest', 'validate', file, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      valid: false,
      format: 'hsp.yaml',
      warnings: [],
      errors: [
        { file, line: 4, column: 12, message: 'build.version must be a string.' },
        { file, line: 5, column: 3, message: 'build.relase_notes is not a known key; did you mean release_notes?' },
      ],
    });
    expect(json(await hsp(['manifest', 'validate', smartApp, '--json']))).toEqual({ valid: true, format: 'hsp.yaml', warnings: [], errors: [] });
    const missing = await hsp(['manifest', 'validate', join(scratch, 'none.yaml'), '--json']);
    expect(JSON.parse(missing.stdout)).toEqual({ valid: false, format: null, warnings: [], errors: [{ file: join(scratch, 'none.yaml'), message: 'cannot read the manifest: no such file.' }] });
  });

  onlyIf(existsSync(specSmart), withSpecExamples.reason).describe("the specification's smart example", () => {
    it('warnings on stderr and a valid verdict; --strict makes them errors (exit 1)', async () => {
      const run = ok(await hsp(['manifest', 'validate', specSmart]));
      expect(run.stderr.split('\n')).toEqual([
        `${specSmart}:2:16: warning: $schema "../schema/build.json" is not a URI; hsp checks the file against its own corrected copy of the specification's schema.`,
        `${specSmart}:54:19: warning: configuration[0].task[0].id "7d49a845-1f0b-4e87-82ee-d4523ff86a4d1" is not a UUID; the task gets a new id when published.`,
        `${specSmart}:83:21: warning: provenance[0].datetime "2021-11-30 15:18:37.743234 -0700" is not an ISO 8601 date and time (such as 2021-11-30T15:18:37-07:00).`,
        '',
      ]);
      expect(run.stdout).toBe(`${specSmart} is a valid marketplace.json manifest (3 warnings).\n`);
      const strict = await hsp(['manifest', 'validate', specSmart, '--strict']);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toContain(`${specSmart}:54:19: error: configuration[0].task[0].id "7d49a845-1f0b-4e87-82ee-d4523ff86a4d1" is not a UUID.\n`);
      expect(strict.stderr.endsWith(`${specSmart} is not a valid manifest (3 errors).\n`)).toBe(true);
      const report = JSON.parse((await hsp(['manifest', 'validate', specSmart, '--json'])).stdout) as { valid: boolean; warnings: { line: number }[] };
      expect(report).toMatchObject({ valid: true, format: 'marketplace.json' });
      expect(report.warnings.map((w) => w.line)).toEqual([2, 54, 83]);
    });
  });

  it('a missing argument is a usage error (exit 2)', async () => {
    expect(await hsp(['manifest', 'validate'])).toMatchObject({ code: 2, stderr: "Missing required argument 'file'.\n" });
  });
});

describe('hsp manifest convert', () => {
  it('to stdout: marketplace.json → hsp.yaml, saying where the build version came from', async () => {
    const run = ok(await hsp(['manifest', 'convert', bilirubin, '--to', 'hsp.yaml']));
    expect(run.stderr).toBe(`The build version is 3.0.2, the image's tag (${bilirubin} has no version of its own); pass --version as to "hsp publish" to choose another.\n`);
    expect(run.stdout).toMatch(/^# hsp\.yaml: a product, and one build of it, for an HL7 HSP Marketplace\.\n# Converted from examples\/bilirubin-chart\/marketplace\.json by "hsp manifest convert"\.\n/);
    // Written to stdout, the file's name is not known: the header does not guess one.
    expect(run.stdout).toContain('\n# Check it with "hsp manifest validate <file>"; publish it with "hsp publish <file>".\n');
    expect(run.stdout).toContain('\n  name: Newborn Bilirubin Chart\n');
    expect(run.stdout).toContain('\n  version: 3.0.2\n');
  });

  it('--version sets the build version of a marketplace.json, as hsp publish --version does; the header names the file written', async () => {
    const out = join(freshDir(), 'bilirubin.hsp.yaml');
    const run = ok(await hsp(['manifest', 'convert', bilirubin, '--to', 'hsp.yaml', '--version', '2.0.0', '--output-file', out]));
    expect(run.stderr).toBe(`✓ Wrote ${out} (hsp.yaml).\n`);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`\n# Check it with "hsp manifest validate ${out}"; publish it with "hsp publish ${out}".\n`);
    expect(text).toContain('\n  version: 2.0.0\n');
    expect(text).toContain('\n    tag: 3.0.2\n');
    // An hsp.yaml has a version of its own: --version there is a mistake, not silently ignored.
    expect(await hsp(['manifest', 'convert', out, '--to', 'marketplace.json', '--version', '9.9.9'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `--version is for a marketplace.json, which carries no build version; ${out} is an hsp.yaml, whose build.version says it.\n`,
    });
    // A name a shell would split is quoted in the header, ready to paste.
    const spaced = join(freshDir(), 'my app.yaml');
    ok(await hsp(['manifest', 'convert', bilirubin, '--to', 'hsp.yaml', '--version', '2.0.0', '--output-file', spaced]));
    expect(readFileSync(spaced, 'utf8')).toContain(`publish it with "hsp publish '${spaced}'".`);
  });

  it('-o is the output format: naming a file with it (the old spelling) says which flag does that', async () => {
    for (const value of ['json', 'out.yaml']) {
      expect(await hsp(['manifest', 'convert', bilirubin, '--to', 'hsp.yaml', '-o', value])).toEqual({
        code: 2,
        stdout: '',
        stderr: `hsp manifest convert has no output format: to write to a file, use --output-file ${value}.\n`,
      });
    }
    expect(existsSync('json')).toBe(false);
  });

  it('to a file, with what the format cannot hold named in a warning; a second run refuses to overwrite without --force', async () => {
    const dir = freshDir();
    const out = join(dir, 'marketplace.json');
    const run = ok(await hsp(['manifest', 'convert', smartApp, '--to', 'marketplace.json', '--output-file', out]));
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      '! marketplace.json has no place for product.description, product.uri, product.support_url, product.locale, product.logo, product.screenshots, product.licenses[0].expiry, build.release_notes, build.dependencies[0], build.configurations[0].tasks[0].name; they are left out.\n' +
        `✓ Wrote ${out} (marketplace.json).\n`,
    );
    const written = readFileSync(out, 'utf8');
    expect(ok(await hsp(['manifest', 'validate', out, '--strict'])).stdout).toBe(`${out} is a valid marketplace.json manifest (0 warnings).\n`);

    const again = await hsp(['manifest', 'convert', smartApp, '--to', 'marketplace.json', '--output-file', out]);
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: `${out} already exists; pass --force to replace it.\n` });
    writeFileSync(out, 'changed');
    ok(await hsp(['manifest', 'convert', smartApp, '--to', 'marketplace.json', '--output-file', out, '--force']));
    expect(readFileSync(out, 'utf8')).toBe(written);
    // Written atomically: nothing but the file is left in the folder.
    expect(readdirSync(dir)).toEqual(['marketplace.json']);
  });

  it('hsp.yaml written into another folder names its files relative to that folder', async () => {
    const out = join(freshDir(), 'hsp.yaml');
    ok(await hsp(['manifest', 'convert', smartApp, '--to', 'hsp.yaml', '--output-file', out]));
    expect(readFileSync(out, 'utf8')).toMatch(/\n {2}logo: (\.\.\/)+.*examples\/smart-app\/logo\.png\n/);
    expect(ok(await hsp(['manifest', 'validate', out])).stdout).toBe(`${out} is a valid hsp.yaml manifest (0 warnings).\n`);
  });

  it('mistakes: an invalid source, a format it cannot write, a missing folder, no --to', async () => {
    const broken = join(freshDir(), 'hsp.yaml');
    writeFileSync(broken, BROKEN);
    expect(await hsp(['manifest', 'convert', broken, '--to', 'marketplace.json'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${broken}:4:12: build.version must be a string.\n1 more problem: "hsp manifest validate" lists them all.\n`,
    });
    expect(await hsp(['manifest', 'convert', 'examples/content-library/hsp.yaml', '--to', 'marketplace.json'])).toMatchObject({
      code: 1,
      stderr: 'examples/content-library/hsp.yaml: cannot be written as marketplace.json: it needs a container image (product.build.binary), and build.image is not set.\n',
    });
    const nowhere = join(scratch, 'no-such-folder', 'out.json');
    expect(await hsp(['manifest', 'convert', smartApp, '--to', 'marketplace.json', '--output-file', nowhere])).toMatchObject({
      code: 1,
      stderr: `--output-file ${nowhere}: the folder ${join(scratch, 'no-such-folder')} does not exist.\n`,
    });
    expect(await hsp(['manifest', 'convert', smartApp])).toMatchObject({ code: 2, stderr: "Required option '--to <format>' not specified.\n" });
    expect(await hsp(['manifest', 'convert', smartApp, '--to', 'xml'])).toMatchObject({ code: 2 });
  });
});
