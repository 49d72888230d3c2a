/** `hsp products publish|unpublish|search`: what the catalogue does with products beyond editing them. */
import { Command } from 'commander';
import type { Product } from '../../index.js';
import type { Column } from '../output.js';
import { limitOf, pageSizeFor, printPages, recordAction, withExamples, withPagingOptions, type Runner } from '../resource-command.js';
import { productLookup } from './lookups.js';

/** `columns`: how products print, as in `hsp products list`. */
export function productActions(noun: Command, run: Runner, columns: Column<Product>[]): void {
  noun.addCommand(
    recordAction<Product>(
      {
        name: 'publish',
        description: 'Make a product public in the catalogue (needs the products.publish permission)',
        lookup: productLookup,
        examples: ['hsp products publish "My SMART App"'],
        act: (client, id) => client.products.publish(id),
        done: (product) => `Published product "${product.name}"`,
      },
      run,
    ),
  );
  noun.addCommand(
    recordAction<Product>(
      {
        name: 'unpublish',
        description: 'Take a product out of the public catalogue',
        lookup: productLookup,
        examples: ['hsp products unpublish "My SMART App"'],
        act: (client, id) => client.products.unpublish(id),
        done: (product) => `Unpublished product "${product.name}"`,
      },
      run,
    ),
  );

  const search = new Command('search')
    .description('Search published products: every word must begin a word of the name or description; best matches first')
    .argument('<text...>', 'words to look for');
  withPagingOptions(search).option('--mime-type <types>', 'only these MIME types (comma-separated)');
  search.action(
    run(async (ctx, opts, words) => {
      const limit = limitOf(opts);
      const client = await ctx.client();
      const found = client.products.search({ text: words.join(' '), mime_type: opts.mimeType as string | undefined, perPage: pageSizeFor(limit) });
      await printPages(ctx, found, limit, columns, { one: 'product', many: 'products' });
    }),
  );
  noun.addCommand(withExamples(search, ['hsp products search fhir viewer', 'hsp products search growth chart --mime-type application/vnd.docker+smart --json']));
}
