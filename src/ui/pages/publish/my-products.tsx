// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../../components/index.js';

export default function MyProductsPage(): JSX.Element {
  return (
    <>
      <PageTitle title="My products" />
      <Empty title="Not built yet." />
    </>
  );
}
