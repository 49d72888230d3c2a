/** `hsp builds asset upload|download`: the file attached to a build (e.g. a packaged app). */
import { Command } from 'commander';
import { resolveParents, withDownloadOptions, withExamples, withParentOptions, type Runner } from '../resource-command.js';
import { buildParent, productParent } from './lookups.js';

const parents = [productParent, buildParent];

export function buildAssetCommands(noun: Command, run: Runner): void {
  const asset = new Command('asset').description("A build's attached file");

  const upload = withParentOptions(new Command('upload').description("Attach a file to a build, replacing any earlier one").argument('<file>', 'the file to attach'), parents);
  upload.action(
    run(async (ctx, opts, [path]) => {
      const { readUpload } = await import('../files.js');
      const file = await readUpload(path!);
      const client = await ctx.signedInClient();
      const [productId, buildId] = await resolveParents(parents, client, opts, ctx);
      const build = await client.builds.uploadAsset(productId!, buildId!, file);
      if (ctx.output.machine) await ctx.output.data(build);
      else ctx.output.success(`Attached ${path} to build ${build.version}`);
    }),
  );
  asset.addCommand(withExamples(upload, ['hsp builds asset upload ./app-1.2.0.tgz --product "My SMART App" --build 1.2.0']));

  const download = withDownloadOptions(withParentOptions(new Command('download').description("Save a build's attached file"), parents), 'the file');
  download.action(
    run(async (ctx, opts) => {
      const { refuseOverwrite, saveDownload } = await import('../files.js');
      if (typeof opts.output === 'string') await refuseOverwrite(opts.output, !!opts.force);
      const client = await ctx.client();
      const [productId, buildId] = await resolveParents(parents, client, opts, ctx);
      const file = await client.builds.downloadAsset(productId!, buildId!);
      await saveDownload(ctx, file, { output: opts.output as string | undefined, force: !!opts.force, fallbackName: `build-${String(opts.build)}` });
    }),
  );
  asset.addCommand(withExamples(download, ['hsp builds asset download --product "My SMART App" --build 1.2.0 --output app.tgz', 'hsp builds asset download --product "My SMART App" --build 1.2.0 -o - | tar tz']));

  noun.addCommand(withExamples(asset, ['hsp builds asset upload ./app.tgz --product "My SMART App" --build 1.2.0']));
}
