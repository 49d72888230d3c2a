// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../../components/index.js';

export default function EditBuildPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Build" />
      <Empty title="Not built yet." />
    </>
  );
}
