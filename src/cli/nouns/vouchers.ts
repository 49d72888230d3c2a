/** `hsp vouchers`: bearer codes for a product license, found by code, and redeemed once. */
import type { Voucher } from '../../index.js';
import { boundApi, recordAction, resolveId, type NounSpec } from '../resource-command.js';
import { matching, signedInUserId, userLookup } from './lookups.js';

export const vouchers: NounSpec<Voucher> = {
  name: 'vouchers',
  singular: 'voucher',
  nameIs: 'code',
  findByName: matching<Voucher>('code', (client, _parents, filter) => client.vouchers.list(filter)),
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
    noun.addCommand(
      recordAction<Voucher>(
        {
          name: 'redeem',
          description: 'Mark a voucher redeemed, by you or by the user named',
          lookup: vouchers,
          examples: ['hsp vouchers redeem WELCOME-2025', 'hsp vouchers redeem WELCOME-2025 --user "Dr. Smith"'],
          options: (command) => command.option('--user <user>', "who redeems it: a user's name or id (default: you)"),
          async act(client, id, opts) {
            const voucher = await client.vouchers.retrieve(id);
            // Refused here too: a reference server stores whatever it is sent, so a second redemption
            // would silently win there. hsp serve refuses a racing one itself (409).
            if (voucher.redeemed_at) throw new Error(`Voucher ${voucher.code ?? id} was already redeemed on ${voucher.redeemed_at}.`);
            if (voucher.expires_at && new Date(voucher.expires_at) <= new Date()) throw new Error(`Voucher ${voucher.code ?? id} expired on ${voucher.expires_at}.`);
            const userId = opts.user === undefined ? await signedInUserId(client) : await resolveId(userLookup, client, [], String(opts.user));
            return client.vouchers.update(id, { redeemed_at: new Date().toISOString(), redeemed_by: userId });
          },
          done: (voucher) => `Redeemed voucher ${voucher.code ?? voucher.id}`,
        },
        run,
      ),
    );
  },
};
