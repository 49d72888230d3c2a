/**
 * A product: what it is, what it looks like, its builds (what each exposes, needs and runs),
 * its licences and its publisher. It leads with "Deploy to…" for signed-in people; visitors are
 * offered to sign in first and come back here.
 */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { APIError, InvalidArgumentError } from '../../sdk/errors.js';
import type { Product } from '../../sdk/types/products.js';
import { api } from '../api.js';
import type { PageProps } from '../app.js';
import { Empty, ErrorNote, Loading, PageTitle, Time, useAsync } from '../components/index.js';
import { here, Link } from '../router.js';
import { can, session, signedIn } from '../session.js';
import { ProductLogo } from './catalogue/logo.js';
import { orDash, paragraphs } from './catalogue/words.js';
import { DeployDialog } from './deploy-dialog.js';
import { Builds } from './product/builds.js';
import { Gallery } from './product/gallery.js';
import { safeLink } from '../licence-terms.js';
import { Licences } from './product/licences.js';
import { PublisherHint } from './product/publisher-hint.js';

export default function ProductPage({ params }: PageProps): JSX.Element {
  const id = params.id ?? '';
  const token = session.value.token;
  // Loaded again when the person signs in or out: what they may see changes.
  const product = useAsync((signal) => api().products.retrieve(id, { signal }), [id, token]);
  const interfaces = useAsync((signal) => api().interfaces.list({ perPage: 100, sort: 'name' }, { signal }), []);
  const interfaceMap = useMemo(() => (interfaces.data ? new Map(interfaces.data.items.map((face) => [face.id, face])) : undefined), [interfaces.data]);

  if (product.error !== undefined) {
    if (isMissing(product.error)) {
      return (
        <>
          <PageTitle title="No product here" />
          <Empty title="There is no product at this address.">
            {signedIn.value ? 'It may have been deleted or unpublished.' : 'It may have been deleted, or it is not published: sign in if it is yours.'}{' '}
            <Link to="">Browse the catalogue</Link>.
          </Empty>
        </>
      );
    }
    return (
      <>
        <PageTitle title="Product" />
        <ErrorNote error={product.error} />
      </>
    );
  }
  if (!product.data) {
    return (
      <>
        <PageTitle title="Product" />
        <Loading label="Loading the product…" />
      </>
    );
  }
  return <ProductView product={product.data} interfaces={interfaceMap} />;
}

function ProductView({ product, interfaces }: { product: Product; interfaces: Parameters<typeof Builds>[0]['interfaces'] }): JSX.Element {
  const [deploying, setDeploying] = useState(false);
  const mine = signedIn.value && session.value.user?.id === product.user_id;
  const about = paragraphs(product.description);
  const website = safeLink(product.uri);
  const support = safeLink(product.support_url);
  return (
    <article class="product-page">
      <PageTitle title={product.name}>
        {signedIn.value ? (
          <button type="button" class="btn btn-primary" onClick={() => setDeploying(true)}>
            Deploy to…
          </button>
        ) : (
          <Link to={`sign-in?next=${encodeURIComponent(here())}`} class="btn btn-primary">
            Sign in to deploy
          </Link>
        )}
      </PageTitle>
      <div class="product-head">
        <ProductLogo product={product} size="large" />
        <div class="product-head-body">
          {!isPublic(product) && (
            <p class="product-status">
              <span class="badge badge-warning">Unpublished</span>{' '}
              <span class="muted">Only you{can('products', 'read') && !mine ? ' and other curators' : ''} can see this page until it is published.</span>
            </p>
          )}
          <dl class="product-facts">
            <div>
              <dt>MIME type</dt>
              <dd>
                <code>{orDash(product.mime_type)}</code>
              </dd>
            </div>
            <Publisher product={product} mine={mine} />
            <div>
              <dt>Updated</dt>
              <dd>
                <Time value={product.updated_at} />
              </dd>
            </div>
            {website && (
              <div>
                <dt>Website</dt>
                <dd>
                  <a href={website} rel="noopener noreferrer" target="_blank">
                    {new URL(website).host}
                  </a>
                </dd>
              </div>
            )}
            {support && (
              <div>
                <dt>Support</dt>
                <dd>
                  <a href={support} rel="noopener noreferrer" target="_blank">
                    Get help
                  </a>
                </dd>
              </div>
            )}
          </dl>
        </div>
      </div>
      <section aria-labelledby="about-heading" class="product-section">
        <h2 id="about-heading">About</h2>
        {about.length ? (
          <div class="product-description">
            {about.map((text, i) => (
              <p key={i}>{text}</p>
            ))}
          </div>
        ) : (
          <p class="muted">The publisher has not described this product yet.</p>
        )}
      </section>
      <Gallery screenshots={product.screenshots ?? []} />
      <Builds product={product} interfaces={interfaces} />
      <Licences product={product} />
      {mine && <PublisherHint product={product} />}
      {signedIn.value && <DeployDialog product={product} open={deploying} onClose={() => setDeploying(false)} />}
    </article>
  );
}

/**
 * The publisher's name: "You" for the owner; administrators (who may read users) see the name.
 * The API keeps users private from everyone else, so then the row is left out.
 */
function Publisher({ product, mine }: { product: Product; mine: boolean }): JSX.Element | null {
  const readable = !mine && signedIn.value && can('users', 'read');
  const user = useAsync((signal) => (readable ? api().users.retrieve(product.user_id, { signal }) : Promise.resolve(undefined)), [product.user_id, readable]);
  if (!mine && !user.data) return null;
  return (
    <div>
      <dt>Publisher</dt>
      <dd>{mine ? 'You' : orDash(user.data?.name)}</dd>
    </div>
  );
}

function isPublic(product: Product): boolean {
  const now = Date.now();
  const due = (value: string | null) => value !== null && Date.parse(value) <= now;
  return due(product.published_at) && due(product.visible_at);
}

/** Not found, not a product id, or not for this visitor's eyes: all "no product here". */
function isMissing(error: unknown): boolean {
  if (error instanceof InvalidArgumentError) return true;
  return error instanceof APIError && (error.status === 404 || (error.status === 401 && !signedIn.value) || error.status === 403);
}
