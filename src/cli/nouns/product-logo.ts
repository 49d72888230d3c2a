/** `hsp products logo get|set|remove`: the product's logo image. */
import { Command, Option } from 'commander';
import type { LogoSize } from '../../index.js';
import { resolveId, withDownloadOptions, withExamples, type Runner } from '../resource-command.js';
import { productLookup } from './lookups.js';

export function productLogoCommands(noun: Command, run: Runner): void {
  const logo = new Command('logo').description("A product's logo image");

  const get = new Command('get')
    .description('Save the logo to a file')
    .argument('<product>', 'product name or id')
    .addOption(new Option('--size <size>', 'which rendition').choices(['large', 'medium', 'small']).default('large'));
  withDownloadOptions(get, 'the image');
  get.action(
    run(async (ctx, opts, [product]) => {
      const { refuseOverwrite, saveDownload } = await import('../files.js');
      if (typeof opts.outputFile === 'string') await refuseOverwrite(opts.outputFile, !!opts.force);
      const client = await ctx.client();
      const id = await resolveId(productLookup, client, [], product!);
      const size = opts.size as LogoSize;
      const file = await client.products.logo(id, size);
      await saveDownload(ctx, file, { output: opts.outputFile as string | undefined, force: !!opts.force, fallbackName: `logo-${size}` });
    }),
  );
  logo.addCommand(withExamples(get, ['hsp products logo get "My SMART App" --output-file logo.png', 'hsp products logo get "My SMART App" --size small --output-file - > small.png']));

  const set = new Command('set').description('Upload a new logo image').argument('<product>', 'product name or id').argument('<file>', 'a PNG, JPEG, GIF, WebP or SVG image');
  set.action(
    run(async (ctx, _opts, [product, path]) => {
      const { readUpload } = await import('../files.js');
      const image = await readUpload(path!);
      const client = await ctx.signedInClient();
      const id = await resolveId(productLookup, client, [], product!);
      const updated = await client.products.setLogo(id, image);
      if (ctx.output.machine) await ctx.output.data(updated);
      else ctx.output.success(`Set the logo of product "${updated.name}" to ${path}`);
    }),
  );
  logo.addCommand(withExamples(set, ['hsp products logo set "My SMART App" ./logo.png']));

  const remove = new Command('remove').description('Remove the logo image').argument('<product>', 'product name or id');
  remove.action(
    run(async (ctx, _opts, [product]) => {
      const client = await ctx.signedInClient();
      const id = await resolveId(productLookup, client, [], product!);
      const updated = await client.products.removeLogo(id);
      if (ctx.output.machine) await ctx.output.data(updated);
      else ctx.output.success(`Removed the logo of product "${updated.name}"`);
    }),
  );
  logo.addCommand(withExamples(remove, ['hsp products logo remove "My SMART App"']));

  noun.addCommand(withExamples(logo, ['hsp products logo set "My SMART App" ./logo.png', 'hsp products logo get "My SMART App" --output-file logo.png']));
}
