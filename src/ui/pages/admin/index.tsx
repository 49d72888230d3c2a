// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../../components/index.js';

export default function AdminPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Administration" />
      <Empty title="Not built yet." />
    </>
  );
}
