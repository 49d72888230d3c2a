// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../components/index.js';

export default function LicencesPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Licences" />
      <Empty title="Not built yet." />
    </>
  );
}
