/**
 * The administration sections and who may open each: a section is listed, and opens, only for
 * a role that lets its holder at least read what it manages (the server checks every request
 * again; this only keeps people away from pages that would refuse them).
 */
import { can } from '../../session.js';

export type SectionId = 'users' | 'roles' | 'licenses' | 'interfaces' | 'identity-providers' | 'groups';

export interface Section {
  id: SectionId;
  title: string;
  summary: string;
  allowed(): boolean;
}

/** Licences and interfaces are public reading: administering them means changing them. */
const changes = (noun: string) => can(noun, 'create') || can(noun, 'update') || can(noun, 'delete');

export const SECTIONS: readonly Section[] = [
  { id: 'users', title: 'Users', summary: 'Find people and give or take away their roles.', allowed: () => can('users', 'read') },
  { id: 'roles', title: 'Roles', summary: 'Permission sets: what each role lets its holders do.', allowed: () => can('roles', 'read') },
  { id: 'licenses', title: 'Licences', summary: 'The terms products are offered under: duration and uses.', allowed: () => changes('licenses') },
  { id: 'interfaces', title: 'Interfaces', summary: 'Standards builds expose and depend on, such as FHIR R4.', allowed: () => changes('interfaces') },
  {
    id: 'identity-providers',
    title: 'Identity providers',
    summary: 'The OpenID Connect providers people sign in with; enable or disable them.',
    allowed: () => can('identity_providers', 'read') || can('identity_providers', 'update'),
  },
  { id: 'groups', title: 'Groups', summary: 'Sets of users who hold roles and licences together.', allowed: () => can('groups', 'read') },
];

export function sectionById(id: string | undefined): Section | undefined {
  return SECTIONS.find((section) => section.id === id);
}
