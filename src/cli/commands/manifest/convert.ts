/**
 * `hsp manifest convert FILE --to FORMAT`: the manifest written in the other format, on stdout
 * or into a file (written whole or not at all; an existing file only replaced with --force).
 * What the target format cannot hold is named in a warning, never silently lost.
 */
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../../auth/atomic-file.js';
import { loadManifest } from '../../../manifest/load.js';
import type { ManifestFormat } from '../../../manifest/model.js';
import { writeManifest } from '../../../manifest/write.js';
import type { CliContext } from '../../context.js';
import { UsageError } from '../../errors.js';
import { refuseOverwrite } from '../../files.js';
import { isFolder } from './folders.js';
import { printProblems } from './problems.js';

export interface ConvertOptions {
  /** Required (commander checks it). */
  to?: ManifestFormat;
  output?: string;
  force?: boolean;
}

export async function convert(ctx: CliContext, file: string, options: ConvertOptions): Promise<void> {
  const to = options.to;
  if (to !== 'hsp.yaml' && to !== 'marketplace.json') throw new UsageError('--to must be hsp.yaml or marketplace.json.');
  const output = options.output === '-' ? undefined : options.output;
  if (output !== undefined) {
    await refuseOverwrite(output, !!options.force);
    if (!(await isFolder(dirname(resolve(output))))) throw new UsageError(`-o ${output}: the folder ${dirname(output)} does not exist.`);
  }
  const { manifest, warnings } = await loadManifest(file);
  printProblems(ctx, warnings, 'warning');
  // Without -o, paths are written for a file in the current folder, where stdout is usually redirected.
  const dir = output !== undefined ? dirname(resolve(output)) : process.cwd();
  const { text, dropped } = writeManifest(manifest, to, { dir, convertedFrom: file });
  if (dropped.length) ctx.output.warn(`${to} has no place for ${dropped.join(', ')}; ${dropped.length === 1 ? 'it is' : 'they are'} left out.`);
  if (output === undefined) {
    ctx.io.stdout.write(text);
    return;
  }
  await writeFileAtomic(output, text);
  ctx.output.success(`Wrote ${output} (${to}).`);
}
