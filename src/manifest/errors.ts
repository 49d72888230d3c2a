/**
 * A manifest that cannot be used: every problem names the file as the user gave it, and the
 * line and column of the offending value when there is one, the way compilers do
 * (`hsp.yaml:12:5: build.version must be a string.`), so editors and CI logs can jump to it.
 */
import type { ManifestFormat, ManifestWarning } from './model.js';

/** One problem in a manifest (an error, or a warning that does not stop loading). */
export type ManifestProblem = ManifestWarning;

/** `hsp.yaml:12:5: message`, or `hsp.yaml: message` when the problem has no position. */
export function formatProblem(problem: ManifestProblem, severity?: 'warning' | 'error'): string {
  const at = problem.line !== undefined ? `${problem.file}:${problem.line}:${problem.column ?? 1}` : problem.file;
  return `${at}: ${severity ? `${severity}: ` : ''}${problem.message}`;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Every error found (the first is this error's own); a CLI shows them all. */
  readonly problems: ManifestProblem[];
  /** Warnings found before loading stopped. */
  readonly warnings: ManifestProblem[];
  /** The format, when it was known before loading failed. */
  readonly format?: ManifestFormat;

  constructor(problems: ManifestProblem[], details: { warnings?: ManifestProblem[]; format?: ManifestFormat } = {}) {
    const first = problems[0];
    if (!first) throw new TypeError('ManifestError needs at least one problem');
    super(formatProblem(first));
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.problems = problems;
    this.warnings = details.warnings ?? [];
    this.format = details.format;
  }
}

/** A problem at a position, as the loaders make them. */
export function problemAt(file: string, position: { line: number; column: number } | undefined, message: string): ManifestProblem {
  return position ? { file, line: position.line, column: position.column, message } : { file, message };
}
