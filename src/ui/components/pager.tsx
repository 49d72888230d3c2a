import type { JSX } from 'preact';

/** Previous / next paging; the page number lives in the URL, so the caller passes onPage. */
export function Pager({ page, hasNext, onPage }: { page: number; hasNext: boolean; onPage: (page: number) => void }): JSX.Element | null {
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
