/**
 * `publish`: the products the signed-in user owns, published or not. People whose roles do not
 * let them create products are told so, with no controls that would only fail.
 */
import type { JSX } from 'preact';
import { api } from '../../api.js';
import { Empty, ErrorNote, Loading, PageTitle, Pager, Time, useAsync, pageNumber } from '../../components/index.js';
import { Link, route } from '../../router.js';
import { can, session } from '../../session.js';
import { CannotPublish, PublishedBadge, text } from './shared.js';
import { SignedInOnly } from '../../components/index.js';

const PER_PAGE = 20;

export default function MyProductsPage(): JSX.Element {
  return (
    <SignedInOnly>
      <MyProducts />
    </SignedInOnly>
  );
}

function MyProducts(): JSX.Element {
  if (!can('products', 'create')) return <CannotPublish title="My products" />;
  return <OwnedProducts />;
}

function OwnedProducts(): JSX.Element {
  const userId = session.value.user?.id ?? '';
  const page = pageNumber(route.value.query.get('page'));
  const products = useAsync((signal) => api().products.list({ user_id: userId, perPage: PER_PAGE, page, sort: 'name' }, { signal }), [userId, page]);
  const items = products.data?.items ?? [];
  return (
    <>
      <PageTitle title="My products">
        <Link to="publish/new" class="btn btn-primary">
          New product
        </Link>
      </PageTitle>
      {products.loading && !products.data && <Loading label="Loading your products…" />}
      {products.error !== undefined && <ErrorNote error={products.error} />}
      {products.data && items.length === 0 && page === 1 && (
        <Empty title="You have not published any products yet.">
          <p>
            Create one with <strong>New product</strong>, or from a manifest with <code>hsp init</code> and <code>hsp publish</code>.
          </p>
        </Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="pub-table" aria-label="Products you own">
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">MIME type</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((product) => (
                <tr key={product.id}>
                  <th scope="row">
                    <Link to={`publish/products/${product.id}`}>{product.name}</Link>
                    {product.description && <p class="muted pub-summary">{summary(product.description)}</p>}
                  </th>
                  <td>{text(product.mime_type)}</td>
                  <td>
                    <PublishedBadge product={product} />
                  </td>
                  <td>
                    <Time value={product.updated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {products.data && <Pager page={page} hasNext={products.data.hasNextPage()} />}
    </>
  );
}

/** The first line of a long description, cut at a word. */
function summary(description: string): string {
  const first = description.split(/\n/)[0] ?? '';
  return first.length > 140 ? `${first.slice(0, 140).replace(/\s+\S*$/, '')}…` : first;
}
