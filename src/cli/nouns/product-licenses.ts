/**
 * `hsp products licenses list|add|remove`: the licences a product is offered under (its
 * product-licence rows, which vouchers and entitlements point at).
 */
import { Command } from 'commander';
import type { ProductLicense } from '../../index.js';
import { FailureError } from '../errors.js';
import type { Column } from '../output.js';
import { requireConfirmation } from '../prompt.js';
import { limitOf, pageSizeFor, printPages, resolveId, withExamples, withPagingOptions, type Runner } from '../resource-command.js';
import { licenseLookup, productLookup } from './lookups.js';

const columns: Column<ProductLicense>[] = [
  { header: 'id', value: (l) => l.id, kind: 'id' },
  { header: 'license id', value: (l) => l.license_id, kind: 'id' },
  { header: 'external id', value: (l) => l.external_id },
  { header: 'added', value: (l) => l.created_at, kind: 'time' },
];

export function productLicenseCommands(noun: Command, run: Runner): void {
  const licenses = new Command('licenses').description('The licenses a product is offered under');

  const list = withPagingOptions(new Command('list').alias('ls').description("List a product's licenses").argument('<product>', 'product name or id'));
  list.action(
    run(async (ctx, opts, [product]) => {
      const limit = limitOf(opts);
      const client = await ctx.client();
      const productId = await resolveId(productLookup, client, [], product!);
      await printPages(ctx, client.productLicenses.list(productId, { perPage: pageSizeFor(limit) }), limit, columns, { one: 'license', many: 'licenses' });
    }),
  );
  licenses.addCommand(withExamples(list, ['hsp products licenses list "My SMART App"']));

  const add = new Command('add')
    .description('Offer a product under a license')
    .argument('<product>', 'product name or id')
    .requiredOption('--license <license>', 'the license: name or id')
    .option('--external-id <value>', 'your own reference for this offer, e.g. a SKU');
  add.action(
    run(async (ctx, opts, [product]) => {
      const client = await ctx.signedInClient();
      const productId = await resolveId(productLookup, client, [], product!);
      const licenseId = await resolveId(licenseLookup, client, [], String(opts.license));
      const offered = await client.productLicenses.create(productId, { license_id: licenseId, external_id: opts.externalId as string | undefined });
      if (ctx.output.machine) await ctx.output.data(offered);
      else ctx.output.success(`Product ${product} is offered under license ${String(opts.license)} (${offered.id})`);
    }),
  );
  licenses.addCommand(withExamples(add, ['hsp products licenses add "My SMART App" --license MIT', 'hsp products licenses add "My SMART App" --license "Apache 2.0" --external-id SKU-42']));

  const remove = new Command('remove')
    .alias('rm')
    .description('Stop offering a product under a license')
    .argument('<product>', 'product name or id')
    .requiredOption('--license <license>', 'the license: name or id')
    .option('-y, --yes', 'do not ask for confirmation');
  remove.action(
    run(async (ctx, opts, [product]) => {
      const client = await ctx.signedInClient();
      const productId = await resolveId(productLookup, client, [], product!);
      const licenseId = await resolveId(licenseLookup, client, [], String(opts.license));
      const offers = (await client.productLicenses.list(productId, { perPage: 100 }).toArray()).filter((l) => l.license_id === licenseId);
      if (!offers.length) throw new FailureError(`Product ${product} is not offered under license ${String(opts.license)}.`);
      if (!opts.yes) await requireConfirmation(ctx, `Remove license ${String(opts.license)} from product ${product}?`);
      for (const offer of offers) await client.productLicenses.delete(productId, offer.id);
      if (ctx.output.machine) await ctx.output.data(offers);
      else ctx.output.success(`Product ${product} is no longer offered under license ${String(opts.license)}`);
    }),
  );
  licenses.addCommand(withExamples(remove, ['hsp products licenses remove "My SMART App" --license MIT --yes']));

  noun.addCommand(withExamples(licenses, ['hsp products licenses list "My SMART App"', 'hsp products licenses add "My SMART App" --license MIT']));
}
