/** `/groups/:group_id/members`: a group's users (one membership per user and group). */
import type { RenderContext, ResourceDefinition, Row } from '../definition.js';
import { permissionsOfGroup, refuseEscalation } from './escalation.js';

export const members: ResourceDefinition = {
  name: 'members',
  table: 'members',
  root: 'member',
  path: '/groups/:group_id/members',
  parent: { param: 'group_id', column: 'group_id', resource: 'groups' },
  fields: {
    group_id: { type: 'uuid' },
    user_id: { type: 'uuid', required: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  // Membership is part of the group.
  permission: 'groups',
  check: checkMember,
};

/** Joining a group hands over its roles: the caller must hold them already. */
async function checkMember(values: Row, existing: Row | undefined, { db, caller }: RenderContext): Promise<void> {
  if (existing && values.user_id === undefined) return;
  const groupId = String(values.group_id ?? existing?.group_id);
  refuseEscalation(caller, await permissionsOfGroup(db, groupId), 'add members to this group');
}
