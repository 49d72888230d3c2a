import type { JSX } from 'preact';
import { Empty, PageTitle } from '../components/index.js';
import { Link } from '../router.js';

export default function NotFoundPage(_props: { params: Record<string, string> }): JSX.Element {
  return (
    <>
      <PageTitle title="Page not found" />
      <Empty title="There is no page at this address.">
        <Link to="">Browse the catalogue</Link>
      </Empty>
    </>
  );
}
