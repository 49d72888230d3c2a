/**
 * Redeeming a voucher (the specification names the operation but defines none):
 *
 *   POST /vouchers/redeem   {"voucher": {"code": "…", "user_id": "<optional>"}}
 *
 * The code is the proof: any signed-in user who holds it may redeem it, for themselves, or for
 * another user when they hold `users.update` or own the voucher's product (a publisher handing
 * out a licence). Redeeming creates the Entitlement (the voucher's product licence, valid from
 * now) and marks the voucher with it, in one transaction: of two racing redemptions of one
 * code, one wins and the other is told it was already redeemed. The answer (201) is the
 * voucher with the new `entitlement` embedded.
 *
 * Guessing codes gains nothing a wrong code does not also say: an unknown code and a wrong one
 * are the same 404, the code is compared exactly, and only signed-in users may try. The code
 * travels in the body, never in the URL, so request logs do not hold it. Agent tokens may not
 * redeem (the route is not among theirs: ../auth/agent-access.ts).
 *
 * `redeem` is not a UUID, so the path cannot be taken for a voucher's own `/vouchers/:id`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller.js';
import { can } from '../auth/permissions.js';
import type { ServerContext } from '../context.js';
import type { Queryable } from '../db/database.js';
import { denied, HttpError, invalid, notFound } from '../errors.js';
import { UUID_PATTERN, type Row } from '../resources/definition.js';
import { longerThan, maxLengthOf, unwrap } from '../resources/values.js';
import { render } from './crud.js';

export const REDEEM_PATH = '/vouchers/redeem';

interface Redemption {
  code: string;
  /** Whom the entitlement is for: the caller unless another user is named. */
  userId: string | undefined;
}

interface LockedVoucher {
  id: string;
  product_license_id: string;
  expires_at: Date | string | null;
  redeemed_at: Date | string | null;
  product_owner: string | null;
  expired: boolean;
}

export function registerVoucherRoutes(app: FastifyInstance, context: ServerContext): void {
  const vouchers = context.resources.get('vouchers');
  const entitlements = context.resources.get('entitlements');

  app.post(REDEEM_PATH, async (req, reply) => {
    const caller = req.caller;
    if (!caller.user) throw denied(false, 'redeem a voucher');
    const wanted = redemptionIn(req, maxLengthOf(vouchers.fields.code!));
    const { voucher, entitlement } = await context.db.transaction(async (tx) => {
      // Locked: a second redemption of the code waits here, then finds it redeemed.
      const found = await tx.query<LockedVoucher>(
        `SELECT v.id, v.product_license_id, v.expires_at, v.redeemed_at, p.user_id AS product_owner,
                (v.expires_at IS NOT NULL AND v.expires_at <= now()) AS expired
           FROM vouchers v JOIN product_licenses pl ON pl.id = v.product_license_id JOIN products p ON p.id = pl.product_id
          WHERE v.code = $1
          FOR UPDATE OF v`,
        [wanted.code],
      );
      const locked = found.rows[0];
      if (!locked) throw notFound('No voucher with that code.');
      const userId = await beneficiary(tx, caller, wanted.userId, locked.product_owner);
      if (locked.redeemed_at !== null) throw new HttpError(409, `This voucher was already redeemed on ${iso(locked.redeemed_at)}.`);
      if (locked.expired) throw new HttpError(422, `This voucher expired on ${iso(locked.expires_at!)}, so it can no longer be redeemed.`);

      const created = await tx.query<Row>(
        `INSERT INTO entitlements (user_id, product_license_id, valid_from) VALUES ($1, $2, now())
         RETURNING ${columnsOf(Object.keys(entitlements.fields))}`,
        [userId, locked.product_license_id],
      );
      const entitlementRow = created.rows[0]!;
      const updated = await tx.query<Row>(
        `UPDATE vouchers SET redeemed_at = now(), redeemed_by = $2, entitlement_id = $3, updated_at = now()
          WHERE id = $1 AND redeemed_at IS NULL
          RETURNING ${columnsOf(Object.keys(vouchers.fields))}`,
        [locked.id, userId, entitlementRow.id],
      );
      // The row is locked and was unredeemed: nothing can have redeemed it meanwhile.
      if (!updated.rows[0]) throw new Error('The locked voucher changed during its redemption.');
      return { voucher: updated.rows[0], entitlement: entitlementRow };
    });
    const [renderedVoucher] = await render(context, vouchers, [voucher], req, {});
    const [renderedEntitlement] = await render(context, entitlements, [entitlement], req, {});
    return reply.code(201).send({ ...renderedVoucher, entitlement: renderedEntitlement });
  });
}

/** The body's code and user, checked: one sentence naming the field when wrong. */
function redemptionIn(req: FastifyRequest, maxCodeLength: number | undefined): Redemption {
  const input = unwrap(req.body, 'voucher');
  const code = input.code;
  if (code === undefined || code === null || code === '') throw invalid('code', "can't be blank");
  if (typeof code !== 'string') throw invalid('code', 'must be a string');
  if (maxCodeLength !== undefined && longerThan(code, maxCodeLength)) throw invalid('code', `is too long (maximum is ${maxCodeLength} characters)`);
  const userId = input.user_id;
  if (userId !== undefined && userId !== null && (typeof userId !== 'string' || !UUID_PATTERN.test(userId))) throw invalid('user_id', 'must be a UUID');
  return { code, userId: typeof userId === 'string' ? userId.toLowerCase() : undefined };
}

/**
 * The user the entitlement is for. Redeeming for someone else hands them a licence someone
 * paid for: only a user administrator, or the publisher of the voucher's product, may.
 */
async function beneficiary(db: Queryable, caller: Caller, userId: string | undefined, productOwner: string | null): Promise<string> {
  const self = caller.user!.id;
  if (userId === undefined || userId === self) return self;
  if (!can(caller.permissions, 'users', 'update') && productOwner !== self) {
    throw new HttpError(
      403,
      "You may redeem a voucher only for yourself: redeeming it for another user needs the users.update permission or ownership of the voucher's product.",
    );
  }
  const { rows } = await db.query('SELECT 1 FROM users WHERE id = $1', [userId]);
  if (!rows.length) throw notFound(`No user with id ${userId}.`);
  return userId;
}

function columnsOf(fields: readonly string[]): string {
  return ['id', ...fields, 'created_at', 'updated_at'].map((column) => `"${column}"`).join(', ');
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
