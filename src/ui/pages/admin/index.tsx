/** Administration: the sections the signed-in user's roles let them manage, and nothing else. */
import type { JSX } from 'preact';
import { PageTitle } from '../../components/index.js';
import { Link } from '../../router.js';
import { SECTIONS } from './sections.js';
import { NotAllowed } from './frame.js';
import { SignedInOnly } from '../../components/index.js';

export default function AdminPage(): JSX.Element {
  return (
    <SignedInOnly>
      <AdminIndex />
    </SignedInOnly>
  );
}

function AdminIndex(): JSX.Element {
  const allowed = SECTIONS.filter((section) => section.allowed());
  return (
    <>
      <PageTitle title="Administration" />
      {allowed.length === 0 ? (
        <NotAllowed what="administer this marketplace" />
      ) : (
        <ul class="admin-sections">
          {allowed.map((section) => (
            <li key={section.id} class="card">
              <h2>
                <Link to={`admin/${section.id}`}>{section.title}</Link>
              </h2>
              <p class="muted">{section.summary}</p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
