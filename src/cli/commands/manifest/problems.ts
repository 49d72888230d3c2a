/** Manifest problems on stderr as compilers print them, so editors and CI logs link to them. */
import { formatProblem, type ManifestProblem } from '../../../manifest/errors.js';
import type { CliContext } from '../../context.js';

export function printProblems(ctx: CliContext, problems: ManifestProblem[], severity: 'warning' | 'error'): void {
  for (const problem of problems) ctx.io.stderr.write(`${formatProblem(problem, severity)}\n`);
}

/** "1 warning", "3 errors". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
