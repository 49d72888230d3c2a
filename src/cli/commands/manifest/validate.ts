/**
 * `hsp manifest validate FILE`: loads the manifest as `hsp publish` would and reports every
 * problem (`file:line:col: error: …` on stderr), or with `--json` one document saying the same.
 * Exit code 1 when the manifest cannot be used.
 */
import { ManifestError, type ManifestProblem } from '../../../manifest/errors.js';
import { loadManifest } from '../../../manifest/load.js';
import type { ManifestFormat } from '../../../manifest/model.js';
import type { CliContext } from '../../context.js';
import { count, printProblems } from './problems.js';

export interface ValidateOptions {
  strict?: boolean;
}

/** What `--json` prints. */
export interface ValidationReport {
  valid: boolean;
  format: ManifestFormat | null;
  warnings: ManifestProblem[];
  errors: ManifestProblem[];
}

export async function validate(ctx: CliContext, file: string, options: ValidateOptions): Promise<void> {
  let report: ValidationReport;
  try {
    const { manifest, warnings } = await loadManifest(file, { strict: !!options.strict });
    report = { valid: true, format: manifest.format, warnings, errors: [] };
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    report = { valid: false, format: error.format ?? null, warnings: error.warnings, errors: error.problems };
  }
  if (ctx.output.machine) await ctx.output.data(report);
  else {
    printProblems(ctx, report.warnings, 'warning');
    printProblems(ctx, report.errors, 'error');
  }
  if (!report.valid) throw new Error(`${file} is not a valid manifest (${count(report.errors.length, 'error')}).`);
  if (!ctx.output.machine) ctx.io.stdout.write(`${file} is a valid ${report.format} manifest (${count(report.warnings.length, 'warning')}).\n`);
}
