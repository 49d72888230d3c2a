// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../../components/index.js';

export default function NewProductPage(): JSX.Element {
  return (
    <>
      <PageTitle title="New product" />
      <Empty title="Not built yet." />
    </>
  );
}
