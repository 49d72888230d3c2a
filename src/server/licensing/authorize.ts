/**
 * Dynamic authorisation (the specification's DRM chapter): may a user or a group use a product
 * now, through any entitlement?
 *
 *   - Paths to an entitlement: a user's own; a claim naming the user on someone else's; a claim
 *     naming a group the user is a member of. A group only through claims naming the group.
 *   - Product families: an entitlement for a product grants its children, transitively (the
 *     family is walked up through `sub_products`; a cycle ends the walk). A product needs an
 *     entitlement when it, or a product family containing it, is offered under a licence.
 *   - Dates: `indefinite` never ends; `relative_date` ends `days_valid` days after activation
 *     (`valid_from`, else the entitlement's creation); `absolute_date` ends at the licence's
 *     `expires_at`. A licence with no end set (no `expires_at`, `days_valid` 0) never ends, as
 *     `uses` 0 is unlimited. An entitlement whose `valid_from` is ahead is not valid yet.
 *   - Uses: the claims on an entitlement together may be authorised `uses` times.
 *
 * A product's owner (its publisher) needs no entitlement for it.
 *
 * A "yes" counts one use on the claim of the claimant asked about (created when missing).
 * Every call, yes or no, is recorded as an Attempt.
 */
import type { Authorization } from '../../sdk/types/authorizations.js';
import type { Database, Queryable } from '../db/database.js';

export type { Authorization };

export interface Claimant {
  type: 'User' | 'Group';
  id: string;
  name: string;
}

export interface Product {
  id: string;
  name: string;
  /** The publisher: uses their own product without an entitlement. */
  user_id: string | null;
}

/** An entitlement that may grant the product, as evaluated now. */
interface Candidate {
  id: string;
  created_at: Date;
  starts_at: Date;
  ends_at: Date | null;
  license_id: string;
  license_name: string;
  uses: number;
  used: number;
  product_id: string;
  product_name: string;
  /** The group whose claim brings the entitlement to a user (only when nothing closer does). */
  via_group: string | null;
  now: Date;
}

type Standing = 'valid' | 'not_yet' | 'expired' | 'used_up';

/** The product and its ancestors (parents grant their children); `UNION` ends a cycle. */
const FAMILY = `WITH RECURSIVE family(id) AS (
  SELECT $1::uuid
  UNION
  SELECT s.parent_id FROM sub_products s JOIN family f ON s.child_id = f.id
)`;

/** Entitlements (of the family's licences) that reach the claimant: `$1` product, `$2` claimant. */
const REACHES: Record<Claimant['type'], string> = {
  User: `(e.user_id = $2 OR EXISTS (SELECT 1 FROM claims c WHERE c.entitlement_id = e.id AND (
      (c.claimant_type = 'User' AND c.claimant_id = $2)
      OR (c.claimant_type = 'Group' AND c.claimant_id IN (SELECT m.group_id FROM members m WHERE m.user_id = $2)))))`,
  Group: `EXISTS (SELECT 1 FROM claims c WHERE c.entitlement_id = e.id AND c.claimant_type = 'Group' AND c.claimant_id = $2)`,
};

/**
 * The entitlements as they stand once locked (`$1` their ids, `$2` the claimant, `$3` its type):
 * dates, and uses so far over all their claims.
 */
const EVALUATE = `SELECT e.id, e.created_at, coalesce(e.valid_from, e.created_at) AS starts_at,
    CASE
      WHEN l.expiry = 'relative_date' AND l.days_valid > 0 THEN coalesce(e.valid_from, e.created_at) + make_interval(days => l.days_valid)
      WHEN l.expiry = 'absolute_date' THEN l.expires_at
    END AS ends_at,
    l.id AS license_id, l.name AS license_name, l.uses,
    (SELECT coalesce(sum(c.authorization_count), 0)::int FROM claims c WHERE c.entitlement_id = e.id) AS used,
    p.id AS product_id, p.name AS product_name,
    CASE WHEN $3 = 'User' AND e.user_id <> $2 AND NOT EXISTS (
        SELECT 1 FROM claims c WHERE c.entitlement_id = e.id AND c.claimant_type = 'User' AND c.claimant_id = $2)
      THEN (SELECT g.name FROM claims c JOIN groups g ON g.id = c.claimant_id JOIN members m ON m.group_id = g.id
             WHERE c.entitlement_id = e.id AND c.claimant_type = 'Group' AND m.user_id = $2 ORDER BY g.name LIMIT 1)
    END AS via_group,
    now() AS now
  FROM entitlements e
  JOIN product_licenses pl ON pl.id = e.product_license_id
  JOIN licenses l ON l.id = pl.license_id
  JOIN products p ON p.id = pl.product_id
  WHERE e.id = ANY($1::uuid[])`;

/** Decides, counts the use, records the Attempt: one transaction. */
export async function authorize(db: Database, product: Product, claimant: Claimant): Promise<Authorization> {
  return db.transaction(async (tx) => {
    const base = { product_id: product.id, claimant_id: claimant.id, claimant_type: claimant.type };
    // A part of a licensed family is licensed too: a suite's modules are not free for all
    // because only the suite names a licence.
    const licensed = await tx.query(`${FAMILY} SELECT 1 FROM product_licenses WHERE product_id IN (SELECT id FROM family) LIMIT 1`, [product.id]);
    if (!licensed.rows.length) {
      const attemptId = await recordAttempt(tx, product, claimant, null);
      return answer(true, `Product ${quoted(product.name)} has no licence, so it needs no entitlement.`, base, attemptId);
    }
    // A publisher tries and demonstrates their own product on their own platforms.
    if (claimant.type === 'User' && product.user_id === claimant.id) {
      const attemptId = await recordAttempt(tx, product, claimant, null);
      return answer(true, `User ${quoted(claimant.name)} publishes product ${quoted(product.name)}, so needs no entitlement for it.`, base, attemptId);
    }

    const { rows: reaching } = await tx.query<{ id: string }>(
      `${FAMILY} SELECT e.id FROM entitlements e JOIN product_licenses pl ON pl.id = e.product_license_id
        WHERE pl.product_id IN (SELECT id FROM family) AND ${REACHES[claimant.type]}`,
      [product.id, claimant.id],
    );
    const ids = reaching.map((row) => row.id);
    // Locked in one order by every call, so concurrent calls queue rather than deadlock; the
    // counts read after the lock are final until this transaction ends, so no two calls can
    // both take an entitlement's last use.
    if (ids.length) await tx.query('SELECT id FROM entitlements WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids]);
    const candidates = ids.length ? (await tx.query<Record<string, unknown>>(EVALUATE, [ids, claimant.id, claimant.type])).rows.map(toCandidate) : [];
    candidates.sort(preference);

    const chosen = candidates.find((candidate) => standing(candidate) === 'valid');
    if (!chosen) {
      const attemptId = await recordAttempt(tx, product, claimant, null);
      return answer(false, refusal(product, claimant, candidates), base, attemptId);
    }

    const claimId = await countUse(tx, chosen.id, claimant);
    const attemptId = await recordAttempt(tx, product, claimant, claimId);
    const usesLeft = chosen.uses > 0 ? chosen.uses - chosen.used - 1 : null;
    return answer(true, grant(product, chosen, usesLeft), base, attemptId, {
      entitlement_id: chosen.id,
      claim_id: claimId,
      license_id: chosen.license_id,
      expires_at: chosen.ends_at?.toISOString() ?? null,
      uses_left: usesLeft,
    });
  });
}

/** The answer, in the order the fields are documented; no entitlement unless one granted it. */
function answer(
  authorized: boolean,
  reason: string,
  base: Pick<Authorization, 'product_id' | 'claimant_id' | 'claimant_type'>,
  attemptId: string,
  granted?: Pick<Authorization, 'entitlement_id' | 'claim_id' | 'license_id' | 'expires_at' | 'uses_left'>,
): Authorization {
  return {
    authorized,
    reason,
    ...base,
    entitlement_id: granted?.entitlement_id ?? null,
    claim_id: granted?.claim_id ?? null,
    attempt_id: attemptId,
    license_id: granted?.license_id ?? null,
    expires_at: granted?.expires_at ?? null,
    uses_left: granted?.uses_left ?? null,
  };
}

/** One use on the claimant's claim on the entitlement (created when missing); the claim's id. */
async function countUse(tx: Queryable, entitlementId: string, claimant: Claimant): Promise<string> {
  // The entitlement is locked: no other call can add a second claim for this claimant meanwhile.
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE claims SET authorization_count = authorization_count + 1, authorized_at = now(), updated_at = now()
      WHERE id = (SELECT id FROM claims WHERE entitlement_id = $1 AND claimant_type = $2 AND claimant_id = $3 ORDER BY created_at, id LIMIT 1)
      RETURNING id`,
    [entitlementId, claimant.type, claimant.id],
  );
  if (rows[0]) return rows[0].id;
  const created = await tx.query<{ id: string }>(
    `INSERT INTO claims (entitlement_id, claimant_type, claimant_id, authorization_count, authorized_at) VALUES ($1, $2, $3, 1, now()) RETURNING id`,
    [entitlementId, claimant.type, claimant.id],
  );
  return created.rows[0]!.id;
}

async function recordAttempt(tx: Queryable, product: Product, claimant: Claimant, claimId: string | null): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    'INSERT INTO attempts (claim_id, claimant_id, claimant_type, product_id) VALUES ($1, $2, $3, $4) RETURNING id',
    [claimId, claimant.id, claimant.type, product.id],
  );
  return rows[0]!.id;
}

function toCandidate(row: Record<string, unknown>): Candidate {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string | Date));
  return {
    id: String(row.id),
    created_at: date(row.created_at)!,
    starts_at: date(row.starts_at)!,
    ends_at: date(row.ends_at),
    license_id: String(row.license_id),
    license_name: String(row.license_name),
    uses: Number(row.uses ?? 0),
    used: Number(row.used ?? 0),
    product_id: String(row.product_id),
    product_name: String(row.product_name),
    via_group: row.via_group === null || row.via_group === undefined ? null : String(row.via_group),
    now: date(row.now)!,
  };
}

function standing(candidate: Candidate): Standing {
  if (candidate.starts_at > candidate.now) return 'not_yet';
  if (candidate.ends_at && candidate.ends_at <= candidate.now) return 'expired';
  if (candidate.uses > 0 && candidate.used >= candidate.uses) return 'used_up';
  return 'valid';
}

/** Unlimited uses first, then the one that ends last (never ending last of all), then the oldest. */
function preference(a: Candidate, b: Candidate): number {
  const unlimited = Number(b.uses === 0) - Number(a.uses === 0);
  if (unlimited) return unlimited;
  const end = (c: Candidate) => c.ends_at?.getTime() ?? Number.POSITIVE_INFINITY;
  if (end(a) !== end(b)) return end(b) > end(a) ? 1 : -1;
  return a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

// ---------------------------------------------------------------------------------------
// The sentences

/** A name in a sentence: quoted, escaped (a name may hold anything), and not too long. */
function quoted(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

/** `2027-01-01` at midnight UTC, else to the minute. */
function when(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function grant(product: Product, chosen: Candidate, usesLeft: number | null): string {
  const family = chosen.product_id === product.id ? '' : ` for product family ${quoted(chosen.product_name)}`;
  const through = chosen.via_group === null ? '' : ` through group ${quoted(chosen.via_group)}`;
  const until = chosen.ends_at ? ` until ${when(chosen.ends_at)}` : ', with no end date';
  const uses = usesLeft === null ? '' : ` (${plural(usesLeft, 'use')} left)`;
  return `Authorized by entitlement ${chosen.id} under licence ${quoted(chosen.license_name)}${family}${through}${until}${uses}.`;
}

function refusal(product: Product, claimant: Claimant, candidates: Candidate[]): string {
  const who = claimant.type === 'User' ? `of user ${quoted(claimant.name)}` : `claimed for group ${quoted(claimant.name)}`;
  const start = `No entitlement ${who} covers product ${quoted(product.name)}`;
  if (!candidates.length) return `${start}: there is none for it or for a product family containing it.`;
  const problems = [...new Set(candidates.map(problemOf))];
  const shown = problems.slice(0, 2).join('; ');
  const more = problems.length > 2 ? `; and ${plural(problems.length - 2, 'more entitlement')} cannot be used either` : '';
  return `${start}: ${shown}${more}.`;
}

function problemOf(candidate: Candidate): string {
  const licence = `licence ${quoted(candidate.license_name)}`;
  switch (standing(candidate)) {
    case 'not_yet':
      return `the entitlement under ${licence} is valid only from ${when(candidate.starts_at)}`;
    case 'expired':
      return `the entitlement under ${licence} expired on ${when(candidate.ends_at!)}`;
    default:
      return candidate.uses === 1 ? `the one use of ${licence} is used` : `all ${candidate.uses} uses of ${licence} are used`;
  }
}
