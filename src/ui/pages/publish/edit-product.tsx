// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../../components/index.js';

export default function EditProductPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Edit product" />
      <Empty title="Not built yet." />
    </>
  );
}
