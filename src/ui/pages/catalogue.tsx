// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../components/index.js';

export default function CataloguePage(): JSX.Element {
  return (
    <>
      <PageTitle title="Catalogue" />
      <Empty title="Not built yet." />
    </>
  );
}
