/** `/roles/:role_id/appointments`: who holds a role, a user or a group (polymorphic, as in Rails). */
import { invalid } from '../../errors.js';
import type { RenderContext, ResourceDefinition, Row } from '../definition.js';
import { permissionsOfRole, refuseEscalation } from './escalation.js';

export const appointments: ResourceDefinition = {
  name: 'appointments',
  table: 'appointments',
  root: 'appointment',
  path: '/roles/:role_id/appointments',
  parent: { param: 'role_id', column: 'role_id', resource: 'roles' },
  fields: {
    entity_id: { type: 'uuid', required: true },
    entity_type: { type: 'text', required: true, enum: ['User', 'Group'] },
    role_id: { type: 'uuid' },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  // Appointing is part of managing roles.
  permission: 'roles',
  check: checkAppointment,
};

async function checkAppointment(values: Row, existing: Row | undefined, { db, caller }: RenderContext): Promise<void> {
  const entityType = (values.entity_type ?? existing?.entity_type) as 'User' | 'Group';
  const entityId = (values.entity_id ?? existing?.entity_id) as string;
  // No foreign key can cover a polymorphic column: check the entity here.
  const table = entityType === 'Group' ? 'groups' : 'users';
  const { rows } = await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [entityId]);
  if (!rows.length) throw invalid('entity_id', `must exist (no ${entityType.toLowerCase()} with id ${entityId})`);
  const roleId = String(values.role_id ?? existing?.role_id);
  refuseEscalation(caller, await permissionsOfRole(db, roleId), 'appoint this role');
}
