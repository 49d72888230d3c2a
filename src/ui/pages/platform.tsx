// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../components/index.js';

export default function PlatformPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Platform" />
      <Empty title="Not built yet." />
    </>
  );
}
