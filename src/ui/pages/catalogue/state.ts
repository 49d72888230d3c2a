/**
 * The catalogue's state, all of it in the URL query (`?q=&mime_type=&license=&interface=&sort=&page=`)
 * so reload, a shared link and back/forward show the same results; and how it becomes one
 * request to the marketplace.
 */
import type { PagePromise } from '../../../sdk/pagination.js';
import type { Product } from '../../../sdk/types/products.js';
import { api } from '../../api.js';

export const PER_PAGE = 24;

export interface CatalogueState {
  q: string;
  mime_type: string;
  license: string;
  interface: string;
  /** '' = the default: best match while searching, else by name. */
  sort: string;
  page: number;
}

export interface SortChoice {
  value: string;
  label: string;
  /** The index's `sort` and `order`; none = the search's relevance order. */
  sort?: string;
  order?: 'asc' | 'desc';
}

export const SORTS: SortChoice[] = [
  { value: 'relevance', label: 'Best match' },
  { value: 'name', label: 'Name', sort: 'name', order: 'asc' },
  { value: 'newest', label: 'Newest', sort: 'published_at', order: 'desc' },
  { value: 'updated', label: 'Recently updated', sort: 'updated_at', order: 'desc' },
];

/**
 * MIME types the specification and its examples name, and those hsp's manifests use. The API
 * has no list of the MIME types in use, so the choices are fixed; a type in the URL that is not
 * among them is offered too.
 */
export const MIME_TYPES = [
  'application/smart.v1',
  'application/vnd.docker+smart',
  'application/vnd.docker+fhir',
  'application/vnd.docker',
  'application/cql.v1.5.1+zip',
  'CQL',
  'text/html',
  'application/zip',
];

export function readState(query: URLSearchParams): CatalogueState {
  const page = Number(query.get('page'));
  return {
    q: (query.get('q') ?? '').trim(),
    mime_type: query.get('mime_type') ?? '',
    license: query.get('license') ?? '',
    interface: query.get('interface') ?? '',
    sort: SORTS.some((choice) => choice.value === query.get('sort')) ? (query.get('sort') as string) : '',
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

/** The sort in effect: relevance means nothing without search text. */
export function effectiveSort(state: CatalogueState): SortChoice {
  const chosen = SORTS.find((choice) => choice.value === state.sort);
  if (chosen && (chosen.value !== 'relevance' || state.q)) return chosen;
  return state.q ? SORTS[0]! : SORTS[1]!;
}

/**
 * One request for the page: the index when nothing is searched (anonymous answers come from
 * the server's catalogue cache), the search otherwise. Only published products: a signed-in
 * administrator browses the same catalogue as everyone else.
 */
export function loadProducts(state: CatalogueState, signal: AbortSignal): PagePromise<Product> {
  const sort = effectiveSort(state);
  const params = {
    published: true,
    page: state.page,
    perPage: PER_PAGE,
    ...(sort.sort ? { sort: sort.sort, order: sort.order } : {}),
    ...(state.mime_type ? { mime_type: state.mime_type } : {}),
    ...(state.license ? { license: state.license } : {}),
    ...(state.interface ? { interface: state.interface } : {}),
  };
  return state.q ? api().products.search({ ...params, text: state.q }, { signal }) : api().products.list(params, { signal });
}
