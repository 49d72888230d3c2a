/**
 * `hsp publish [file]`: loads the manifest, reads the marketplace, prints the plan, and
 * (unless --dry-run) applies it. Text goes to the terminal or CI log (the plan and the result
 * on stdout, a line per step and every warning on stderr); with --json, stdout carries one
 * document (plan.ts's actions with their outcomes) and nothing else is printed.
 */
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { StepResult } from '../../../manifest/apply.js';
import { formatProblem, ManifestError } from '../../../manifest/errors.js';
import type { LoadedManifest } from '../../../manifest/model.js';
import { planDocument } from '../../../manifest/plan-document.js';
import type { PlannedAction } from '../../../manifest/plan.js';
import { applyPublish, preparePublish, type PreparedPublish } from '../../../manifest/publish.js';
import { renderPlan, type Painter } from '../../../manifest/render-plan.js';
import type { CliContext } from '../../context.js';
import { EXIT, FailureError, UsageError } from '../../errors.js';
import { failureReport, stepLine } from './progress.js';

export interface PublishFlags {
  dryRun?: boolean;
  prune?: boolean;
  force?: boolean;
  publish?: boolean;
  /** false with --no-resolve: the image's digest is not looked up. */
  resolve?: boolean;
  concurrency?: string;
  strict?: boolean;
  version?: string;
  verbose?: boolean;
}

const DEFAULT_FILES = ['hsp.yaml', 'marketplace.json'];
const MAX_CONCURRENCY = 64;

/** Runs the command and returns its exit code: 0, 1 when the plan has errors or a step failed, 130 when interrupted. */
export async function publish(ctx: CliContext, file: string | undefined, opts: Record<string, unknown>): Promise<number> {
  const { io, output } = ctx;
  const flags = flagsOf(opts);
  const json = output.machine;
  const concurrency = concurrencyOf(flags.concurrency);
  const path = file ?? DEFAULT_FILES.find((name) => existsSync(name));
  // Exit code 1, as for a manifest file that does not exist: the folder, not the call, lacks it.
  if (!path) throw new FailureError('No manifest here: give its file, or run this where hsp.yaml or marketplace.json is.');

  let loaded: LoadedManifest;
  try {
    const { loadManifest } = await import('../../../manifest/load.js');
    loaded = await loadManifest(path, { strict: !!flags.strict, ...(flags.version !== undefined ? { version: flags.version } : {}) });
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    for (const problem of error.problems) io.stderr.write(`${formatProblem(problem, 'error')}\n`);
    return 1;
  }
  const { manifest } = loaded;
  const warnings = loaded.warnings.map((w) => formatProblem(w));

  const named = manifest.marketplaceUrl && /^https?:\/\//i.test(manifest.marketplaceUrl) ? manifest.marketplaceUrl : undefined;
  const client = await ctx.signedInClient(named);
  if (manifest.marketplaceUrl && comparable(manifest.marketplaceUrl) !== comparable(client.baseUrl)) {
    warnings.push(`Publishing to ${client.baseUrl}, not to ${manifest.marketplaceUrl}, the marketplace_url of ${manifest.file}.`);
  }

  output.progress(`Reading ${client.baseUrl} for "${manifest.product.name}" ${manifest.build.version}…`);
  let prepared: PreparedPublish;
  try {
    prepared = await preparePublish(client, manifest, {
      concurrency,
      prune: !!flags.prune,
      force: !!flags.force,
      publish: !!flags.publish,
      ...(flags.resolve ? { registry: { env: ctx.io.env } } : {}),
    });
  } finally {
    output.endProgress();
  }
  const { plan } = prepared;
  const allWarnings = [...warnings, ...plan.warnings];
  const paintOut = painter(ctx, io.stdout);

  if (json && (flags.dryRun || plan.errors.length)) {
    await output.data(planDocument(plan, client.baseUrl, allWarnings));
    return plan.errors.length ? 1 : 0;
  }
  if (!json) {
    for (const warning of allWarnings) output.warn(warning);
    const heading = flags.dryRun ? `Plan for "${plan.product.name}" ${plan.build.version} on` : `Publishing "${plan.product.name}" ${plan.build.version} to`;
    io.stdout.write(`${heading} ${client.baseUrl}:\n${renderPlan(plan, { verbose: !!flags.verbose, paint: paintOut })}`);
  }
  if (plan.errors.length) {
    const paintErr = painter(ctx, io.stderr);
    for (const error of plan.errors) io.stderr.write(`${paintErr('red', 'error:')} ${error}\n`);
    return 1;
  }
  if (flags.dryRun) return 0;
  const toDo = plan.actions.filter((a) => a.action !== 'unchanged');
  if (!toDo.length) {
    if (!json) io.stdout.write(`Nothing to change: ${client.baseUrl} already matches ${manifest.file}.\n`);
    else await output.data(planDocument(plan, client.baseUrl, allWarnings, await applyPublish(client, prepared)));
    return 0;
  }

  // Ctrl+C (or SIGTERM, as CI sends on a cancelled job): say so at once, start nothing new, let
  // the running steps finish, then sum up. The steps never started are counted, not listed one
  // by one (--json keeps each). A second Ctrl+C ends at once.
  const interruption = new AbortController();
  const onInterrupt = () => {
    if (!json) output.warn('Interrupted: letting the steps already running finish, starting no more (Ctrl+C again stops at once).');
    interruption.abort();
  };
  process.once('SIGINT', onInterrupt).once('SIGTERM', onInterrupt);
  const paintErr = painter(ctx, io.stderr);
  let finished = 0;
  let results: StepResult<PlannedAction>[];
  try {
    results = await applyPublish(client, prepared, {
      concurrency,
      signal: interruption.signal,
      onStep: json
        ? undefined
        : (result) => {
            if (result.interrupted) return;
            finished++;
            output.endProgress();
            io.stderr.write(`[${finished}/${toDo.length}] ${stepLine(result, plan.actions, paintErr)}\n`);
          },
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt).removeListener('SIGTERM', onInterrupt);
  }

  const failed = results.filter((r) => r.outcome === 'failed');
  const skipped = results.filter((r) => r.outcome === 'skipped');
  const notStarted = skipped.filter((r) => r.interrupted).length;
  const interrupted = notStarted > 0;
  const incomplete = interrupted ? EXIT.interrupted : 1;
  if (json) {
    await output.data(planDocument(plan, client.baseUrl, allWarnings, results));
    return failed.length || skipped.length ? incomplete : 0;
  }
  const done = (kind: PlannedAction['action']) => results.filter((r) => r.outcome === 'done' && r.step.action === kind).length;
  const unchanged = results.filter((r) => r.outcome === 'unchanged').length;
  const counts = `${done('create')} created, ${done('update')} updated, ${done('delete')} deleted, ${unchanged} unchanged`;
  if (!failed.length && !skipped.length) {
    const published = results.some((r) => r.step.resource === 'publication' && r.outcome !== 'failed');
    io.stdout.write(`${paintOut('green', '✓')} ${published ? 'Published' : 'Done'}: ${counts}.\n`);
    return 0;
  }
  if (interrupted) {
    const blocked = skipped.length - notStarted;
    const parts = [`${results.filter((r) => r.outcome === 'done').length} done`, failed.length ? `${failed.length} failed` : '', blocked ? `${blocked} skipped after a failure` : ''];
    io.stdout.write(`Interrupted: ${[...parts.filter(Boolean), `${notStarted} not started`].join(', ')}.\n`);
  } else {
    io.stdout.write(`Incomplete: ${counts}; ${failed.length} failed, ${skipped.length} skipped.\n`);
  }
  if (failed.length) {
    io.stderr.write(`${paintErr('red', `${failed.length} ${failed.length === 1 ? 'step' : 'steps'} failed:`)}\n${failureReport(results).join('\n')}\n`);
    io.stderr.write('Run hsp publish again once the cause is fixed: what is done stays done, and the rest is completed.\n');
  } else {
    io.stderr.write(`Run the same command again to finish: what is done stays done${interrupted ? '' : ', and the rest is completed'}.\n`);
  }
  return incomplete;
}

/** Commander's values, typed: booleans for switches, strings for values. */
function flagsOf(opts: Record<string, unknown>): PublishFlags {
  const text = (key: string) => (typeof opts[key] === 'string' ? (opts[key] as string) : undefined);
  return {
    dryRun: opts.dryRun === true,
    prune: opts.prune === true,
    force: opts.force === true,
    publish: opts.publish === true,
    resolve: opts.resolve !== false,
    concurrency: text('concurrency'),
    strict: opts.strict === true,
    version: text('version'),
    verbose: opts.verbose === true,
  };
}

function concurrencyOf(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${value}".`);
  }
  return n;
}

/** URLs that differ only in case, a default port or a trailing slash are the same marketplace. */
function comparable(url: string): string {
  try {
    return new URL(url).href.replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/** Colour on a terminal that allows it, nothing in pipes, logs and with --no-color or NO_COLOR. */
function painter(ctx: CliContext, stream: Writable & { isTTY?: boolean }): Painter {
  const { io, options } = ctx;
  const plain: Painter = (_style, text) => text;
  if (options.color === false || io.env.NO_COLOR || !stream.isTTY || io.env.TERM === 'dumb') return plain;
  const codes = { green: [32, 39], yellow: [33, 39], red: [31, 39], dim: [2, 22], bold: [1, 22] } as const;
  return (style, text) => `\x1b[${codes[style][0]}m${text}\x1b[${codes[style][1]}m`;
}
