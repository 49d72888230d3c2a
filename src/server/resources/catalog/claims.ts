/**
 * `/entitlements/:entitlement_id/claims`: a user's or group's use of an entitlement. Managed
 * like the entitlement: by the product's owner; the entitlement's holder may read them.
 */
import { invalid } from '../../errors.js';
import { productOwner, type ResourceDefinition } from '../definition.js';
import { ALL_VERBS, productOf } from './access.js';

const CLAIMANT_TABLES: Record<string, string> = { User: 'users', Group: 'groups' };

export const claims: ResourceDefinition = {
  name: 'claims',
  table: 'claims',
  root: 'claim',
  path: '/entitlements/:entitlement_id/claims',
  parent: { param: 'entitlement_id', column: 'entitlement_id', resource: 'entitlements' },
  fields: {
    entitlement_id: { type: 'uuid' },
    claimant_id: { type: 'uuid', required: true },
    claimant_type: { type: 'text', required: true, enum: Object.keys(CLAIMANT_TABLES) },
    authorization_count: { type: 'integer', min: 0, sortable: true },
    authorized_at: { type: 'timestamp', sortable: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ownerExpr: productOwner(productOf.entitlement('r.entitlement_id')),
  ownerVerbs: ALL_VERBS,
  owners: [{ expr: '(SELECT e.user_id FROM entitlements e WHERE e.id = r.entitlement_id)', verbs: ['read'] }],
  // The claimant is polymorphic, so no foreign key can say it exists: look.
  async check(values, existing, { db }) {
    if (values.claimant_id === undefined && values.claimant_type === undefined) return;
    const id = values.claimant_id ?? existing?.claimant_id;
    const table = CLAIMANT_TABLES[String(values.claimant_type ?? existing?.claimant_type)]!;
    const { rows } = await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
    if (!rows.length) throw invalid('claimant_id', 'must exist');
  },
};
