/** What every administration section page has around it: its title, the way back, and the refusal. */
import type { ComponentChildren, JSX } from 'preact';
import { PageTitle } from '../../components/index.js';
import { Link } from '../../router.js';

export interface SectionFrameProps {
  title: string;
  /** The list a detail page belongs to, e.g. `{ to: 'admin/users', label: 'Users' }`. */
  parent?: { to: string; label: string };
  actions?: ComponentChildren;
  children: ComponentChildren;
}

export function SectionFrame({ title, parent, actions, children }: SectionFrameProps): JSX.Element {
  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <ol>
          <li>
            <Link to="admin">Administration</Link>
          </li>
          {parent && (
            <li>
              <Link to={parent.to}>{parent.label}</Link>
            </li>
          )}
        </ol>
      </nav>
      <PageTitle title={title}>{actions}</PageTitle>
      {children}
    </>
  );
}

/** Said instead of a page the user's roles do not open (the server would refuse its requests). */
export function NotAllowed({ what }: { what: string }): JSX.Element {
  return (
    <div class="notice" role="alert">
      <p class="not-allowed">
        You may not {what}: none of your roles grants it. Ask an administrator of this marketplace if you need to.
      </p>
      <Link to="">Back to the catalogue</Link>
    </div>
  );
}
