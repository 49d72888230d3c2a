// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../components/index.js';

export default function ProductPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Product" />
      <Empty title="Not built yet." />
    </>
  );
}
