/**
 * The catalogue, open to everyone: published products with search, filters (MIME type,
 * licence, interface), sort and paging, all kept in the URL. One request for the page of
 * products; the licence and interface lists (for the filters and the licence names on each
 * card) are one bounded request each, in parallel.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import { api } from '../api.js';
import { Empty, ErrorNote, Loading, PageTitle, Pager, useAsync } from '../components/index.js';
import { route, setQuery } from '../router.js';
import { CatalogueFilters, type FilterOptions } from './catalogue/filters.js';
import { ProductCard } from './catalogue/product-card.js';
import { loadProducts, readState } from './catalogue/state.js';
import { plural } from './catalogue/words.js';

/** The reference lists are small; a marketplace with more than this many shows the first ones. */
const OPTIONS_LIMIT = 100;

let markedInteractive = false;

export default function CataloguePage(): JSX.Element {
  const state = readState(route.value.query);
  const key = JSON.stringify(state);
  const results = useAsync((signal) => loadProducts(state, signal), [key]);
  const options = useAsync<FilterOptions>(
    async (signal) => {
      const [licenses, interfaces] = await Promise.all([
        api().licenses.list({ perPage: OPTIONS_LIMIT, sort: 'name' }, { signal }),
        api().interfaces.list({ perPage: OPTIONS_LIMIT, sort: 'name' }, { signal }),
      ]);
      return { licenses: licenses.items, interfaces: interfaces.items };
    },
    [],
  );
  const licenseNames = useMemo(() => (options.data ? new Map(options.data.licenses.map((license) => [license.id, license])) : undefined), [options.data]);

  const page = results.data;
  // The first results are on screen and the search box works: what the performance budget measures.
  useEffect(() => {
    if (page && !markedInteractive) {
      markedInteractive = true;
      performance.mark('hsp:interactive');
    }
  }, [page]);

  const count = page ? (page.totalEntries ?? page.items.length) : undefined;
  const searching = Boolean(state.q || state.mime_type || state.license || state.interface);
  return (
    <>
      <PageTitle title="Catalogue" />
      <p class="catalogue-intro muted">Health software you can deploy to your platforms.</p>
      <CatalogueFilters state={state} options={options.data} />
      {options.error !== undefined && <ErrorNote error={options.error} />}
      <p class="catalogue-count" role="status" aria-live="polite">
        {count === undefined ? '' : count === 0 ? 'No products' : plural(count, 'product')}
      </p>
      {results.error !== undefined && <ErrorNote error={results.error} />}
      {!page && results.loading && <Loading label="Loading products…" />}
      {page && page.items.length === 0 && !results.error && (
        <Empty title={state.page > 1 ? `There is no page ${state.page}.` : searching ? 'No products match.' : 'No products are published yet.'}>
          {state.page > 1 ? (
            <button type="button" class="btn" onClick={() => setQuery({ page: undefined })}>
              Go to the first page
            </button>
          ) : searching ? (
            'Try fewer words, or clear the filters.'
          ) : (
            <>
              Publishers add products with <code>hsp publish</code>.
            </>
          )}
        </Empty>
      )}
      {page && page.items.length > 0 && (
        <ul class="product-grid" aria-busy={results.loading ? 'true' : 'false'} aria-label="Products">
          {page.items.map((product) => (
            <li key={product.id}>
              <ProductCard product={product} licenseNames={licenseNames} />
            </li>
          ))}
        </ul>
      )}
      {page && <Pager page={state.page} hasNext={page.hasNextPage()} />}
    </>
  );
}
