/** `hsp init` and `hsp manifest validate|convert`: declared here; the work is imported when it runs. */
import { Command, Option } from 'commander';
import { usesGlobalOptions } from '../../global-options.js';
import { withExamples, type Runner } from '../../resource-command.js';
import type { InitPrompts } from './init-prompts.js';

/** Replacements for the outside world in tests: the questions `hsp init` asks at a terminal. */
export interface ManifestOverrides {
  prompts?: InitPrompts;
}

export function manifestCommands(run: Runner, overrides: ManifestOverrides = {}): Command[] {
  const init = new Command('init')
    .description('Write a commented hsp.yaml for a new product (asks at a terminal; from flags in scripts and CI)')
    .argument('[dir]', 'the folder to write hsp.yaml in (default: the current folder)')
    .option('--name <name>', 'the product name (required without a terminal)')
    .option('--description <text>', 'what the product does')
    .option('--mime-type <type>', 'the kind of product, e.g. application/smart.v1')
    .option('--image <reference>', 'the container image, repository[:tag][@digest]')
    .option('--version <version>', 'the version of the first build (required without a terminal)')
    .option('--license-name <name>', 'a licence the product is offered under (with --license-url)')
    .option('--license-url <url>', "the licence's text")
    .option('--content <dir>', 'a folder shipped as the build\'s asset')
    .option('--force', 'replace an existing hsp.yaml');
  init.action(run(async (ctx, opts, [dir]) => (await import('./init.js')).init(ctx, opts, dir, overrides.prompts)));

  const manifest = new Command('manifest').description('Check and convert manifests (hsp.yaml, and the specification\'s marketplace.json)');
  const validate = new Command('validate')
    .description('Check a manifest: every problem with its file, line and column')
    .argument('<file>', 'hsp.yaml, or a marketplace.json of the specification')
    .option('--strict', "the known defects of real marketplace.json files (the specification's own examples) are errors too");
  validate.action(run(async (ctx, opts, [file]) => (await import('./validate.js')).validate(ctx, file!, opts)));
  const convert = new Command('convert')
    .description('Write a manifest in the other format (and say what that format cannot hold)')
    .argument('<file>', 'the manifest to read')
    .addOption(new Option('--to <format>', 'the format to write').choices(['hsp.yaml', 'marketplace.json']).makeOptionMandatory())
    .option('--output-file <file>', 'write the manifest to this file instead of stdout')
    .option('--force', 'replace the output file if it exists')
    .option('--version <version>', 'the build version of a marketplace.json, which carries none (as for hsp publish; default: the image tag)');
  convert.action(run(async (ctx, opts, [file]) => (await import('./convert.js')).convert(ctx, file!, opts)));
  manifest.addCommand(withExamples(usesGlobalOptions(validate, ['json', 'output']), ['hsp manifest validate hsp.yaml', 'hsp manifest validate marketplace.json --strict', 'hsp manifest validate hsp.yaml --json | jq .errors']));
  // It prints a manifest, not records: no output format (-o), and nothing to ask.
  manifest.addCommand(
    withExamples(usesGlobalOptions(convert, ['color']), [
      'hsp manifest convert marketplace.json --to hsp.yaml --version 1.0.0 --output-file hsp.yaml',
      'hsp manifest convert hsp.yaml --to marketplace.json > marketplace.json',
    ]),
  );

  return [
    withExamples(usesGlobalOptions(init, ['interactive', 'color']), ['hsp init', 'hsp init my-app --name "My App" --version 1.0.0 --image ghcr.io/acme/my-app:1.0.0', 'hsp init --name Library --version 1.0.0 --content ./content --no-interactive']),
    withExamples(usesGlobalOptions(manifest, ['json', 'output', 'color']), ['hsp manifest validate hsp.yaml', 'hsp manifest convert marketplace.json --to hsp.yaml --output-file hsp.yaml']),
  ];
}
