/** `hsp builds asset upload|download`: the file attached to a build (e.g. a packaged app). */
import { Command } from 'commander';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FileResponse, Uploadable } from '../../index.js';
import { resolveParents, withDownloadOptions, withExamples, withParentOptions, type Runner } from '../resource-command.js';
import { buildParent, productParent } from './lookups.js';

const parents = [productParent, buildParent];

export function buildAssetCommands(noun: Command, run: Runner): void {
  const asset = new Command('asset').description("A build's attached file");

  const upload = withParentOptions(
    new Command('upload')
      .description('Attach a file to a build, replacing any earlier one; a folder is packed into a reproducible .tgz first')
      .argument('<file>', 'the file to attach, or a folder to pack and attach'),
    parents,
  );
  upload.action(
    run(async (ctx, opts, [path]) => {
      const { file, description } = await readAssetUpload(path!);
      const client = await ctx.signedInClient();
      const [productId, buildId] = await resolveParents(parents, client, opts, ctx);
      const build = await client.builds.uploadAsset(productId!, buildId!, file);
      if (ctx.output.machine) await ctx.output.data(build);
      else ctx.output.success(`Attached ${description} to build ${build.version}`);
    }),
  );
  asset.addCommand(
    withExamples(upload, [
      'hsp builds asset upload ./app-1.2.0.tgz --product "My SMART App" --build 1.2.0',
      'hsp builds asset upload ./site --product "My SMART App" --build 1.2.0   # packs the folder',
    ]),
  );

  const download = withDownloadOptions(
    withParentOptions(new Command('download').description("Save a build's attached file, or unpack it into a folder with --extract"), parents),
    'the file',
  ).option('--extract <dir>', 'unpack the asset (.tgz or .tar) into this folder instead of saving it; with --force, replace what the folder holds');
  download.action(
    run(async (ctx, opts) => {
      if (typeof opts.extract === 'string') {
        const { UsageError } = await import('../errors.js');
        if (opts.outputFile !== undefined) throw new UsageError('Pass either --output-file or --extract, not both.');
        const client = await ctx.client();
        const [productId, buildId] = await resolveParents(parents, client, opts, ctx);
        const file = await client.builds.downloadAsset(productId!, buildId!);
        const { files } = await extractAsset(file, opts.extract, { force: !!opts.force, build: String(opts.build) });
        if (ctx.output.machine) await ctx.output.data({ directory: opts.extract, files });
        else ctx.output.success(`Extracted ${files} ${files === 1 ? 'file' : 'files'} into ${opts.extract}`);
        return;
      }
      const { refuseOverwrite, saveDownload } = await import('../files.js');
      if (typeof opts.outputFile === 'string') await refuseOverwrite(opts.outputFile, !!opts.force);
      const client = await ctx.client();
      const [productId, buildId] = await resolveParents(parents, client, opts, ctx);
      const file = await client.builds.downloadAsset(productId!, buildId!);
      await saveDownload(ctx, file, { output: opts.outputFile as string | undefined, force: !!opts.force, fallbackName: `build-${String(opts.build)}` });
    }),
  );
  asset.addCommand(
    withExamples(download, [
      'hsp builds asset download --product "My SMART App" --build 1.2.0 --output-file app.tgz',
      'hsp builds asset download --product "My SMART App" --build 1.2.0 --output-file - | tar tz',
      'hsp builds asset download --product "My SMART App" --build 1.2.0 --extract ./app',
    ]),
  );

  noun.addCommand(withExamples(asset, ['hsp builds asset upload ./app.tgz --product "My SMART App" --build 1.2.0']));
}

/** The file to upload, or the folder packed into a `.tgz`; `description` says which, for the success line. */
async function readAssetUpload(path: string): Promise<{ file: Uploadable; description: string }> {
  const { stat } = await import('node:fs/promises');
  const isFolder = await stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
  const { readUpload } = await import('../files.js');
  const { describeSize } = await import('../../size.js');
  if (!isFolder) return { file: await readUpload(path), description: path };
  const [{ basename, resolve }, { packDirectory }] = await Promise.all([import('node:path'), import('../../manifest/pack.js')]);
  // What is wrong with the folder (empty, too large, a link out of it) is what it holds, not
  // how the command was called: its ArchiveError is exit code 1.
  const packed = await packDirectory(path);
  const file = { data: packed.data, filename: `${basename(resolve(path))}.tgz`, contentType: 'application/gzip' };
  return { file, description: `${path} (${packed.files} ${packed.files === 1 ? 'file' : 'files'} packed, ${describeSize(packed.data.length)})` };
}

/** Unpacks a downloaded asset; an asset that is no archive is said in terms of its build. */
async function extractAsset(file: FileResponse, dir: string, options: { force: boolean; build: string }): Promise<{ files: number }> {
  const [{ Readable }, { unpackArchive }, { ArchiveError }] = await Promise.all([
    import('node:stream'),
    import('../../manifest/unpack.js'),
    import('../../manifest/archive-error.js'),
  ]);
  const body = file.body ? Readable.fromWeb(file.body as WebReadableStream<Uint8Array>) : Buffer.alloc(0);
  try {
    return await unpackArchive(body, dir, { force: options.force });
  } catch (error) {
    if (error instanceof ArchiveError && error.reason === 'not-an-archive') {
      throw new ArchiveError('not-an-archive', `The asset of build ${JSON.stringify(options.build)} is not a tar or .tgz archive; save it with --output-file instead.`, { cause: error });
    }
    throw error;
  }
}
