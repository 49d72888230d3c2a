/**
 * `hsp vouchers`: bearer codes for a product license, found by code; and `redeem`, which turns
 * a code into an entitlement for you (or, for a publisher or user administrator, for someone
 * else).
 */
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { isMissingRoute } from '../../agent/licence-check.js';
import { NotFoundError, type Marketplace, type Voucher, type VoucherRedemption } from '../../index.js';
import { FailureError } from '../errors.js';
import { boundApi, resolveId, withExamples, type NounSpec, type Runner } from '../resource-command.js';
import { signedInUserId, userLookup } from './lookups.js';

/**
 * The vouchers whose code is exactly `code`, for those who may list vouchers. The filter
 * narrows the list where the server can (a substring match); the reference server ignores it.
 */
async function vouchersWithCode(client: Marketplace, code: string): Promise<Voucher[]> {
  const filter: Record<string, string> = { code };
  return (await client.vouchers.list(filter).toArray()).filter((voucher) => voucher.code === code);
}

export const vouchers: NounSpec<Voucher> = {
  name: 'vouchers',
  singular: 'voucher',
  nameIs: 'code',
  findByName: (client, _parents, code) => vouchersWithCode(client, code),
  group: 'Licensing:',
  description: 'Vouchers: codes redeemable for a product license',
  index: 'whole',
  verbs: ['list', 'show', 'create'],
  columns: [
    { header: 'id', value: (v) => v.id, kind: 'id' },
    { header: 'code', value: (v) => v.code },
    { header: 'product license id', value: (v) => v.product_license_id, kind: 'id' },
    { header: 'expires', value: (v) => v.expires_at, kind: 'time' },
    { header: 'redeemed', value: (v) => v.redeemed_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.vouchers),
  fields: [
    { name: 'product_license_id', flag: 'product-license', description: 'the offer it is for (an id from "hsp products licenses list")', required: true },
    { name: 'code', description: 'the code to hand out (unique)', required: true },
    { name: 'issued_at', description: 'when it was issued (ISO 8601)' },
    { name: 'expires_at', description: 'when it stops being redeemable (ISO 8601)' },
  ],
  examples: {
    list: ['hsp vouchers list'],
    show: ['hsp vouchers show WELCOME-2025'],
    create: ['hsp vouchers create --product-license 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60 --code WELCOME-2025 --expires-at 2025-12-31T23:59:59Z'],
  },
  extend(noun, run) {
    noun.addCommand(redeemCommand(run));
  },
};

/**
 * `hsp vouchers redeem CODE [--user USER]`: the marketplace's redemption operation, which
 * creates the entitlement and marks the voucher in one step. The code is sent as typed, never
 * looked up first: whoever holds a code may redeem it without being able to list vouchers.
 */
function redeemCommand(run: Runner): Command {
  const command = new Command('redeem')
    .description('Redeem a voucher code for an entitlement to its product license, for you or for the user named')
    .argument('<code>', 'the voucher code')
    .option('--user <user>', "whom the entitlement is for: a user's name or id (default: you; for another user you need to publish the product or administer users)")
    .action(
      run(async (ctx, opts, [code]) => {
        const client = await ctx.signedInClient();
        const userId = opts.user === undefined ? undefined : await resolveId(userLookup, client, [], String(opts.user));
        const redeemed = await redeem(ctx, client, code!, userId);
        if (ctx.output.machine) await ctx.output.data(redeemed);
        else ctx.output.success(`Redeemed voucher ${code!}: entitlement ${redeemed.entitlement.id}${opts.user === undefined ? '' : ` for ${String(opts.user)}`}`);
      }),
    );
  return withExamples(command, ['hsp vouchers redeem WELCOME-2025', 'hsp vouchers redeem WELCOME-2025 --user "Dr. Smith"', 'hsp vouchers redeem WELCOME-2025 --json']);
}

async function redeem(ctx: CliContext, client: Marketplace, code: string, userId: string | undefined): Promise<VoucherRedemption> {
  try {
    return await client.vouchers.redeem(code, userId === undefined ? {} : { user_id: userId });
  } catch (error) {
    if (!(error instanceof NotFoundError) || !isMissingRoute(error.body)) throw error;
  }
  // The specification defines no redemption, so the reference server has none; it lets anyone
  // write vouchers and entitlements, so the same two writes done here still redeem the code.
  ctx.output.warn('The marketplace has no redemption operation (POST /vouchers/redeem): redeeming in two steps instead (an entitlement, then the voucher marked with it).');
  return redeemInSteps(client, code, userId ?? (await signedInUserId(client)));
}

/** For a marketplace without the operation: the entitlement, then the voucher marked with it. */
async function redeemInSteps(client: Marketplace, code: string, userId: string): Promise<VoucherRedemption> {
  const found = await vouchersWithCode(client, code);
  if (found.length !== 1) throw new FailureError(found.length ? `Several vouchers have the code "${code}"; the marketplace cannot tell which to redeem.` : 'No voucher with that code.');
  const voucher = found[0]!;
  // Checked here too: such a server stores whatever it is sent, so a second redemption would win.
  if (voucher.redeemed_at) throw new FailureError(`This voucher was already redeemed on ${voucher.redeemed_at}.`);
  if (voucher.expires_at && new Date(voucher.expires_at) <= new Date()) throw new FailureError(`This voucher expired on ${voucher.expires_at}, so it can no longer be redeemed.`);
  if (!voucher.product_license_id) throw new FailureError('This voucher names no product license, so it cannot be redeemed.');
  const now = new Date().toISOString();
  const entitlement = await client.entitlements.create({ user_id: userId, product_license_id: voucher.product_license_id, valid_from: now });
  try {
    const marked = await client.vouchers.update(voucher.id, { redeemed_at: now, redeemed_by: userId, entitlement_id: entitlement.id });
    return { ...marked, entitlement };
  } catch (error) {
    // Nothing half-done: the voucher could not be marked (another redemption won, or it may not
    // be written by you), so the entitlement goes again.
    await client.entitlements.delete(entitlement.id).catch(() => undefined);
    throw error;
  }
}
