import type { ManifestProblem } from './errors.js';
import type { Manifest } from './model.js';

/** What a format's reader found: the model when there were no errors, and every problem. */
export interface FormatResult {
  manifest?: Manifest;
  errors: ManifestProblem[];
  warnings: ManifestProblem[];
}
