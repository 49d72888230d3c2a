/**
 * `hsp manifest convert FILE --to FORMAT`: the manifest written in the other format, on stdout
 * or into `--output-file` (written whole or not at all; an existing file only replaced with
 * --force). What the target format cannot hold is named in a warning, never silently lost.
 *
 * A marketplace.json carries no build version: as `hsp publish`, convert takes the image's tag
 * unless `--version` says otherwise, so that the file written describes the same build that
 * `hsp publish marketplace.json --version V` published, and publishing it changes nothing.
 */
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../../auth/atomic-file.js';
import { loadManifest } from '../../../manifest/load.js';
import type { ManifestFormat } from '../../../manifest/model.js';
import { writeManifest } from '../../../manifest/write.js';
import type { CliContext } from '../../context.js';
import { FailureError, UsageError } from '../../errors.js';
import { refuseOverwrite } from '../../files.js';
import { isFolder } from './folders.js';
import { printProblems } from './problems.js';

export interface ConvertOptions {
  /** Required (commander checks it). */
  to?: ManifestFormat;
  outputFile?: string;
  force?: boolean;
  /** The build version, for a marketplace.json (which carries none); as `hsp publish --version`. */
  version?: string;
}

export async function convert(ctx: CliContext, file: string, options: ConvertOptions): Promise<void> {
  const to = options.to;
  if (to !== 'hsp.yaml' && to !== 'marketplace.json') throw new UsageError('--to must be hsp.yaml or marketplace.json.');
  const output = options.outputFile === '-' ? undefined : options.outputFile;
  if (output !== undefined) {
    await refuseOverwrite(output, !!options.force);
    if (!(await isFolder(dirname(resolve(output))))) throw new FailureError(`--output-file ${output}: the folder ${dirname(output)} does not exist.`);
  }
  const { manifest, warnings } = await loadManifest(file, options.version !== undefined ? { version: options.version } : {});
  if (options.version !== undefined && manifest.format !== 'marketplace.json') {
    throw new UsageError(`--version is for a marketplace.json, which carries no build version; ${file} is an hsp.yaml, whose build.version says it.`);
  }
  printProblems(ctx, warnings, 'warning');
  if (manifest.format === 'marketplace.json' && to === 'hsp.yaml' && options.version === undefined) {
    ctx.output.notice(`The build version is ${manifest.build.version}, the image's tag (${file} has no version of its own); pass --version as to "hsp publish" to choose another.`);
  }
  // Without a file, paths are written for one in the current folder, where stdout is usually redirected.
  const dir = output !== undefined ? dirname(resolve(output)) : process.cwd();
  const { text, dropped } = writeManifest(manifest, to, { dir, convertedFrom: file, fileName: output === undefined ? '<file>' : shellWord(output) });
  if (dropped.length) ctx.output.warn(`${to} has no place for ${dropped.join(', ')}; ${dropped.length === 1 ? 'it is' : 'they are'} left out.`);
  if (output === undefined) {
    ctx.io.stdout.write(text);
    return;
  }
  await writeFileAtomic(output, text);
  ctx.output.success(`Wrote ${output} (${to}).`);
}

/** A path as it can be pasted into a shell: quoted when it holds anything but plain characters. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
