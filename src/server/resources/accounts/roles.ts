/**
 * `/roles`: permission sets, appointed to users and groups. `permissions` is a JSON object
 * `{noun: {verb: boolean}}`, stored merged into the specification's template so every role
 * shows the same known flags.
 */
import { normalisePermissions, PERMISSION_TEMPLATE, type Permissions } from '../../auth/permissions.js';
import { invalid } from '../../errors.js';
import type { RenderContext, ResourceDefinition, Row } from '../definition.js';
import { refuseEscalation } from './escalation.js';

export const roles: ResourceDefinition = {
  name: 'roles',
  table: 'roles',
  root: 'role',
  path: '/roles',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    description: { type: 'text', maxLength: 10_000 },
    default: { type: 'boolean', sortable: true },
    // A JSON object on the wire (unlike the other JSON fields); a JSON string is accepted too.
    permissions: { type: 'json', acceptsJsonString: true, filterable: false },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'record',
  check: checkRole,
  embed: async (rows) => {
    // Roles stored before this server (or seeded) show the same template as new ones.
    for (const row of rows) row.permissions = withTemplate(normalisePermissions(row.permissions));
  },
};

/**
 * Besides the shape, no escalation: whoever writes a role must hold what it grants. That
 * covers changing a powerful role's flags, but also renaming it or making it `default` (every
 * new account, a sock puppet included, would then hold it).
 */
function checkRole(values: Row, existing: Row | undefined, { caller }: RenderContext): void {
  if (values.default === null) values.default = false;
  let permissions: Permissions;
  if (values.permissions === undefined && existing) {
    permissions = normalisePermissions(existing.permissions);
  } else {
    const given: unknown = typeof values.permissions === 'string' ? JSON.parse(values.permissions) : (values.permissions ?? {});
    permissions = validatePermissions(given);
    values.permissions = JSON.stringify(permissions);
  }
  refuseEscalation(caller, permissions, existing ? 'change this role' : 'create a role with these permissions');
}

function withTemplate(permissions: Permissions): Permissions {
  const merged: Permissions = Object.fromEntries(Object.entries(PERMISSION_TEMPLATE).map(([noun, verbs]) => [noun, { ...verbs }]));
  for (const [noun, verbs] of Object.entries(permissions)) merged[noun] = { ...merged[noun], ...verbs };
  return merged;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The flags a role may hold: booleans, and the strings and numbers a form post sends
 * (`role[permissions][products][read]=1`), read as `normalisePermissions` reads stored roles.
 */
const FLAGS = new Map<unknown, boolean>([
  [true, true],
  ['true', true],
  ['1', true],
  [1, true],
  [false, false],
  ['false', false],
  ['0', false],
  [0, false],
]);

/**
 * Checks `{noun: {verb: boolean}}` (or a form's `"true"`/`"1"`, `"false"`/`"0"`) and merges it into the template. Unknown nouns are allowed
 * (the specification lists nouns with "…"); unknown verbs of the template's nouns are refused
 * because the server would never look at them (a typo such as `products.raed`).
 */
export function validatePermissions(value: unknown): Permissions {
  const shape = 'must be a JSON object of {"noun": {"verb": true|false}}';
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid('permissions', shape);
  const given: Permissions = {};
  for (const [noun, verbs] of Object.entries(value as Record<string, unknown>)) {
    if (!NAME.test(noun)) throw invalid('permissions', `has an invalid noun ${JSON.stringify(noun.slice(0, 40))}`);
    if (!verbs || typeof verbs !== 'object' || Array.isArray(verbs)) throw invalid('permissions', `${noun} must be an object of verb flags, e.g. {"read": true}`);
    const known = PERMISSION_TEMPLATE[noun];
    for (const [verb, flag] of Object.entries(verbs as Record<string, unknown>)) {
      if (!NAME.test(verb)) throw invalid('permissions', `${noun} has an invalid verb ${JSON.stringify(verb.slice(0, 40))}`);
      if (known && !(verb in known)) throw invalid('permissions', `${noun}.${verb} is not a permission; ${noun} has ${Object.keys(known).join(', ')}`);
      const granted = FLAGS.get(flag);
      if (granted === undefined) throw invalid('permissions', `${noun}.${verb} must be true or false`);
      (given[noun] ??= {})[verb] = granted;
    }
  }
  return withTemplate(given);
}
