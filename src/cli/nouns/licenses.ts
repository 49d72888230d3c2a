/**
 * `hsp licenses`: the usage terms products are offered under, found by name; and `check`,
 * the licence check a platform makes at run time (may this user or group use a product now?).
 */
import { Command } from 'commander';
import { PermissionDeniedError, type Authorization, type License, type Marketplace } from '../../index.js';
import { FailureError, UsageError } from '../errors.js';
import { boundApi, resolveId, withExamples, type NounSpec, type Runner } from '../resource-command.js';
import { groups } from './groups.js';
import { licenseLookup, productLookup, userLookup } from './lookups.js';

export const licenses: NounSpec<License> = {
  ...licenseLookup,
  group: 'Licensing:',
  description: 'Licenses: usage terms products are offered under (see "hsp products licenses")',
  columns: [
    { header: 'id', value: (l) => l.id, kind: 'id' },
    { header: 'name', value: (l) => l.name },
    { header: 'url', value: (l) => l.url },
    { header: 'expiry', value: (l) => l.expiry },
  ],
  api: (client) => boundApi(client.licenses),
  fields: [
    { name: 'name', description: 'unique name', required: true },
    { name: 'url', description: "the license text's URL (unique)", required: true },
    { name: 'description', description: 'in a few words' },
    { name: 'expiry', description: 'how entitlements under it end', choices: ['indefinite', 'relative_date', 'absolute_date'] },
    { name: 'days_valid', type: 'int', description: 'with relative_date: days an entitlement lasts' },
    { name: 'expires_at', description: 'with absolute_date: the day it ends (ISO 8601)' },
    { name: 'uses', type: 'int', description: 'uses an entitlement allows (0: unlimited)' },
    { name: 'external_id', description: 'your own identifier' },
  ],
  examples: {
    list: ['hsp licenses list'],
    show: ['hsp licenses show MIT'],
    create: ['hsp licenses create --name "Site license" --url https://example.com/site-license --expiry relative_date --days-valid 365'],
    update: ['hsp licenses update "Site license" --uses 10'],
    delete: ['hsp licenses delete "Site license" --yes'],
  },
  extend(noun, run) {
    noun.addCommand(checkCommand(run));
  },
};

/**
 * `hsp licenses check PRODUCT [--user USER | --group GROUP]`: asks the marketplace, as a
 * platform does before it runs a product. Prints the answer's sentence; exit code 0 for yes,
 * 1 for no (the world is not as needed, as for any request the server refused). `--json`
 * prints the Authorization either way. Each check is recorded, and a yes counts one use.
 */
function checkCommand(run: Runner): Command {
  const command = new Command('check')
    .description('Ask whether you (or a user or group) may use a product now, and why: counts one use when yes')
    .argument('<product>', 'the product: name or id')
    .option('--user <user>', "ask for this user: a name or id (you may ask for yourself; a product's owner and administrators for anyone)")
    .option('--group <group>', 'ask for this group: a name or id (its members, the product owner and administrators may ask)')
    .action(
      run(async (ctx, opts, [product]) => {
        if (opts.user !== undefined && opts.group !== undefined) throw new UsageError('Give --user or --group, not both: a check is for one claimant.');
        const client = await ctx.signedInClient();
        const answer = await check(client, product!, opts);
        if (ctx.output.machine) await ctx.output.data(answer);
        else if (answer.authorized) ctx.io.stdout.write(`${answer.reason}\n`);
        // The sentence goes to stderr with exit code 1, as every refusal does; with --json the
        // Authorization is on stdout all the same.
        if (!answer.authorized) throw new FailureError(answer.reason);
      }),
    );
  return withExamples(command, [
    'hsp licenses check "My SMART App"',
    'hsp licenses check "My SMART App" --user "Dr. Smith"',
    'hsp licenses check "My SMART App" --group Cardiology --json',
  ]);
}

async function check(client: Marketplace, product: string, opts: Record<string, unknown>): Promise<Authorization> {
  const productId = await resolveId(productLookup, client, [], product);
  if (opts.user !== undefined) return client.authorizations.user(await resolveId(userLookup, client, [], String(opts.user)), productId);
  if (opts.group !== undefined) return client.authorizations.group(await groupIdOf(client, String(opts.group)), productId);
  return client.authorizations.mine(productId);
}

/** Only those who may list groups find one by name; a member may still ask by its id. */
async function groupIdOf(client: Marketplace, group: string): Promise<string> {
  try {
    return await resolveId(groups, client, [], group);
  } catch (error) {
    if (error instanceof PermissionDeniedError) throw new FailureError(`You may not list groups to find "${group}" by name; give the group's id instead.`);
    throw error;
  }
}
