/**
 * Roles as the administration pages need them, and the permission grid's rows and columns: the
 * server's template (what a role may name, the same nouns and verbs as src/server/auth/
 * permissions.ts) and whatever further nouns a role holds.
 */
import type { Permissions, Role } from '../../../sdk/types/roles.js';
import { api } from '../../api.js';

export async function allRoles(signal: AbortSignal): Promise<Role[]> {
  const roles: Role[] = [];
  for await (const role of api().roles.list({ perPage: 100, sort: 'name' }, { signal })) roles.push(role);
  return roles;
}

/** The template's nouns and the verbs each may have, in the order the grid shows them. */
export const PERMISSION_TEMPLATE: Record<string, readonly string[]> = {
  everything: ['manage'],
  users: ['create', 'read', 'update', 'delete', 'read_self', 'update_self'],
  groups: ['create', 'read', 'update', 'delete'],
  products: ['create', 'read', 'update', 'delete', 'publish'],
};

const VERB_ORDER = ['manage', 'create', 'read', 'update', 'delete', 'publish', 'read_self', 'update_self'];

/** Rows (nouns) and columns (verbs) of the grid for these permissions. */
export function gridOf(permissions: Permissions): { nouns: string[]; verbs: string[]; has(noun: string, verb: string): boolean } {
  const verbsOf = new Map<string, Set<string>>(Object.entries(PERMISSION_TEMPLATE).map(([noun, verbs]) => [noun, new Set(verbs)]));
  for (const [noun, verbs] of Object.entries(permissions)) {
    const set = verbsOf.get(noun) ?? new Set<string>();
    for (const verb of Object.keys(verbs ?? {})) set.add(verb);
    verbsOf.set(noun, set);
  }
  const allVerbs = new Set([...verbsOf.values()].flatMap((set) => [...set]));
  const verbs = [...VERB_ORDER.filter((verb) => allVerbs.has(verb)), ...[...allVerbs].filter((verb) => !VERB_ORDER.includes(verb)).sort()];
  return { nouns: [...verbsOf.keys()], verbs, has: (noun, verb) => verbsOf.get(noun)?.has(verb) ?? false };
}

/** "read_self" → "read own" ; "identity_providers" → "identity providers". */
export function words(key: string): string {
  return key.replace(/_self$/, ' own').replace(/_/g, ' ');
}
