/** `hsp publish`: declared here (commander only); the work is imported when it runs. */
import { Command } from 'commander';
import type { RunState } from '../../program.js';
import { withExamples, type Runner } from '../../resource-command.js';

export function publishCommand(run: Runner, state: RunState): Command {
  const publish = new Command('publish')
    .description('Make the marketplace match a manifest (hsp.yaml or marketplace.json): plan, then apply')
    .argument('[file]', 'the manifest (default: ./hsp.yaml, else ./marketplace.json)')
    .option('--dry-run', 'show the plan and change nothing')
    .option('--prune', 'also delete what the product and build have that the manifest does not list')
    .option('--force', 'change or delete inside a build version that is already published')
    .option('--publish', 'also publish the product (make it public) once everything is in place')
    .option('--no-resolve', "record the image tag alone: do not look up its digest in the image's registry")
    .option('--concurrency <n>', 'requests in flight at once', '4')
    .option('--strict', 'treat known defects of the manifest as errors')
    .option('--version <version>', 'the build version, for manifests that carry none (the specification format)')
    .option('--verbose', 'list unchanged records too')
    .addHelpText(
      'after',
      '\nThe marketplace is --url or --profile (or HSP_URL, HSP_PROFILE, the default profile); without any, the manifest\'s marketplace_url.\n' +
        'Re-running is safe: what is already there is left alone, and an interrupted publish completes.\n' +
        'Exit codes: 0 done, 1 a step failed or the plan has errors, 2 usage, 4 not signed in, 130 interrupted (Ctrl+C).',
    );
  // The command's own exit code (1 when a step failed) is set after the runner's.
  publish.action(async (...args: unknown[]) => {
    let exitCode = 0;
    await run(async (ctx, opts, [file]) => {
      exitCode = await (await import('./publish.js')).publish(ctx, file, opts);
    })(...args);
    state.exitCode = exitCode;
  });
  return withExamples(publish, [
    'hsp publish --dry-run',
    'hsp publish hsp.yaml --publish',
    'hsp publish marketplace.json --version 1.0.0 --url http://127.0.0.1:3000',
    'hsp publish --dry-run --json | jq .summary',
  ]);
}
