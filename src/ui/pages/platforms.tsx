// PLACEHOLDER: replaced by the page's owner.
import type { JSX } from 'preact';
import { Empty, PageTitle } from '../components/index.js';

export default function PlatformsPage(): JSX.Element {
  return (
    <>
      <PageTitle title="Platforms" />
      <Empty title="Not built yet." />
    </>
  );
}
