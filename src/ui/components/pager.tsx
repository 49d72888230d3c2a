import type { JSX } from 'preact';
import { setQuery } from '../router.js';

/** The page number in a query's `page` (1 when absent or not a whole number above 0). */
export function pageNumber(value: string | null): number {
  const page = Number(value);
  return Number.isInteger(page) && page > 0 ? page : 1;
}

/** To page `page` in the URL, where reload and back/forward keep it (page 1 is the bare address). */
function goToPage(page: number): void {
  setQuery({ page: page > 1 ? String(page) : undefined });
}

/** Previous / next paging. The page number lives in the URL's `page` unless the caller says otherwise. */
export function Pager({ page, hasNext, onPage = goToPage }: { page: number; hasNext: boolean; onPage?: (page: number) => void }): JSX.Element | null {
  if (page <= 1 && !hasNext) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="btn" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous page
      </button>
      <span aria-current="page">Page {page}</span>
      <button type="button" class="btn" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        Next page
      </button>
    </nav>
  );
}
