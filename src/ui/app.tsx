/**
 * The frame of every page (header, navigation, main landmark) and the route table. Pages other
 * than the catalogue and a product load on first visit, so the first page costs only its own code.
 */
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote, Loading } from './components/index.js';
import CataloguePage from './pages/catalogue.js';
import NotFoundPage from './pages/not-found.js';
import ProductPage from './pages/product.js';
import { here, Link, route, setRoutePatterns } from './router.js';
import { can, session, signedIn, signOut } from './session.js';

export interface PageProps {
  params: Record<string, string>;
}
type Page = ComponentType<PageProps>;
type Loader = () => Promise<{ default: Page }>;
type RouteEntry = { pattern: string; page: Page } | { pattern: string; load: Loader };

/** Most specific first: the first pattern that matches wins. */
const ROUTES: RouteEntry[] = [
  { pattern: '', page: CataloguePage },
  { pattern: 'products/:id', page: ProductPage },
  { pattern: 'sign-in', load: () => import('./pages/sign-in.js') },
  { pattern: 'auth/callback', load: () => import('./pages/auth-callback.js') },
  { pattern: 'platforms', load: () => import('./pages/platforms.js') },
  { pattern: 'platforms/:id', load: () => import('./pages/platform.js') },
  { pattern: 'publish', load: () => import('./pages/publish/my-products.js') },
  { pattern: 'publish/new', load: () => import('./pages/publish/new-product.js') },
  { pattern: 'publish/products/:id', load: () => import('./pages/publish/edit-product.js') },
  { pattern: 'publish/products/:id/builds/:buildId', load: () => import('./pages/publish/edit-build.js') },
  { pattern: 'licences', load: () => import('./pages/licences.js') },
  { pattern: 'admin', load: () => import('./pages/admin/index.js') },
  { pattern: 'admin/:section', load: () => import('./pages/admin/section.js') },
];
setRoutePatterns(ROUTES.map((entry) => entry.pattern));

/** Pages loaded once stay loaded: coming back is instant. */
const loaded = new Map<string, Page>();

export function App(): JSX.Element {
  const current = route.value;
  const entry = ROUTES.find((candidate) => candidate.pattern === current.pattern);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" class="container" tabIndex={-1}>
        {entry ? <RoutePage key={entry.pattern} entry={entry} params={current.params} /> : <NotFoundPage params={{}} />}
      </main>
    </>
  );
}

function RoutePage({ entry, params }: { entry: RouteEntry; params: Record<string, string> }): JSX.Element {
  const ready = 'page' in entry ? entry.page : loaded.get(entry.pattern);
  const [, setLoadedCount] = useState(0);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (ready || !('load' in entry)) return;
    let live = true;
    entry.load().then(
      (module) => {
        loaded.set(entry.pattern, module.default);
        if (live) setLoadedCount((n) => n + 1);
      },
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [entry]);
  if (error) return <ErrorNote error={new Error('This page could not be loaded; the marketplace may have been updated. Reload the page.')} />;
  if (!ready) return <Loading />;
  const Component = ready;
  return <Component params={params} />;
}

function Header(): JSX.Element {
  const user = session.value.user;
  const path = route.value.path;
  const current = (prefix: string) => (prefix === '' ? path === '' || path.startsWith('products/') : path === prefix || path.startsWith(`${prefix}/`));
  const item = (to: string, label: string) => (
    <li>
      <Link to={to} aria-current={current(to) ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
  return (
    <header class="site-header">
      <div class="container header-row">
        <Link to="" class="brand">
          <span class="brand-mark" aria-hidden="true">
            ⬡
          </span>{' '}
          HSP Marketplace
        </Link>
        <nav aria-label="Main" class="main-nav">
          <ul>
            {item('', 'Catalogue')}
            {signedIn.value && item('platforms', 'Platforms')}
            {signedIn.value && can('products', 'create') && item('publish', 'Publish')}
            {signedIn.value && item('licences', 'Licences')}
            {signedIn.value && (can('users', 'read') || can('everything', 'manage')) && item('admin', 'Administration')}
          </ul>
        </nav>
        <div class="account">
          {signedIn.value ? (
            <>
              <span class="account-name" title={user?.email ?? undefined}>
                {user?.name || user?.email || 'Signed in'}
              </span>
              <button type="button" class="btn" onClick={() => void signOut()}>
                Sign out
              </button>
            </>
          ) : (
            path !== 'sign-in' && (
              <Link to={`sign-in?next=${encodeURIComponent(here())}`} class="btn btn-primary">
                Sign in
              </Link>
            )
          )}
        </div>
      </div>
    </header>
  );
}
