/**
 * Role-based access control as the specification's api.md describes it: each role holds
 * `{ "<plural noun>": { "<verb>": true } }`; a user holds a permission when ANY of their roles
 * (directly or through a group) sets it true; `everything.manage` grants everything.
 */

export type Permissions = Record<string, Record<string, boolean>>;
export type Verb = 'read' | 'create' | 'update' | 'delete' | 'publish' | 'manage' | 'read_self' | 'update_self';

/** The spec's template: what a role's permissions may name. */
export const PERMISSION_TEMPLATE: Permissions = {
  everything: { manage: false },
  users: { create: false, read: false, update: false, delete: false, update_self: false, read_self: false },
  groups: { create: false, read: false, update: false, delete: false },
  products: { publish: false, create: false, read: false, update: false, delete: false },
};

export function can(permissions: Permissions, noun: string, verb: Verb): boolean {
  return permissions.everything?.manage === true || permissions[noun]?.[verb] === true;
}

export function isAdministrator(permissions: Permissions): boolean {
  return permissions.everything?.manage === true;
}

/** OR-merge: only `true` grants; `false`, `null` or anything else never revokes. */
export function mergePermissions(sets: readonly unknown[]): Permissions {
  const merged: Permissions = {};
  for (const set of sets) {
    for (const [noun, verbs] of Object.entries(normalisePermissions(set))) {
      for (const [verb, value] of Object.entries(verbs)) {
        if (value) (merged[noun] ??= {})[verb] = true;
      }
    }
  }
  return merged;
}

/** Keeps only `{noun: {verb: boolean}}`; strings "true"/"1" count as true (form posts). */
export function normalisePermissions(value: unknown): Permissions {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  const out: Permissions = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [noun, verbs] of Object.entries(value as Record<string, unknown>)) {
    if (!verbs || typeof verbs !== 'object' || Array.isArray(verbs)) continue;
    for (const [verb, flag] of Object.entries(verbs as Record<string, unknown>)) {
      (out[noun] ??= {})[verb] = flag === true || flag === 'true' || flag === '1' || flag === 1;
    }
  }
  return out;
}
