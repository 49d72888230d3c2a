/** `admin/:section`: one administration section, when the user's roles open it. */
import type { ComponentType, JSX } from 'preact';
import NotFoundPage from '../not-found.js';
import { NotAllowed, SectionFrame } from './frame.js';
import { GroupsSection } from './groups.js';
import { IdentityProvidersSection } from './identity-providers.js';
import { InterfacesSection } from './interfaces.js';
import { LicensesSection } from './licenses.js';
import { RolesSection } from './roles.js';
import { sectionById, type SectionId } from './sections.js';
import { SignedInOnly } from '../../components/index.js';
import { UsersSection } from './users.js';

const PAGES: Record<SectionId, ComponentType> = {
  users: UsersSection,
  roles: RolesSection,
  licenses: LicensesSection,
  interfaces: InterfacesSection,
  'identity-providers': IdentityProvidersSection,
  groups: GroupsSection,
};

export default function AdminSectionPage({ params }: { params: Record<string, string> }): JSX.Element {
  const section = sectionById(params.section);
  if (!section) return <NotFoundPage params={{}} />;
  const Page = PAGES[section.id];
  return (
    <SignedInOnly>
      {section.allowed() ? (
        <Page />
      ) : (
        <SectionFrame title={section.title}>
          <NotAllowed what={`manage ${section.title.toLowerCase()}`} />
        </SectionFrame>
      )}
    </SignedInOnly>
  );
}
