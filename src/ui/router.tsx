/**
 * The UI's location as a signal: a path relative to the document's base (`/ui/` under
 * hsp serve, `/` for a static build hosted at a root), its parameters and its query. Page state
 * (search, filters, page number) lives in the query, so reload and back/forward keep it.
 */
import { computed, signal } from '@preact/signals';
import type { ComponentChildren, JSX } from 'preact';

export interface Route {
  /** Relative to the base, without a leading slash: '' is the catalogue. */
  path: string;
  /** Filled in by the route table's pattern that matched (`products/:id` → `{id}`). */
  params: Record<string, string>;
  query: URLSearchParams;
}

/** The base path, with its trailing slash: where index.html is served from. */
export const basePath: string = new URL(document.baseURI).pathname.replace(/[^/]*$/, '');

const location = signal(currentLocation());

function currentLocation(): { path: string; search: string } {
  const pathname = window.location.pathname;
  const path = pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname.replace(/^\//, '');
  return { path: decodeURI(path).replace(/\/+$/, ''), search: window.location.search };
}

/** Patterns of the route table, most specific first; set once by the app. */
let patterns: string[] = [];
export function setRoutePatterns(list: string[]): void {
  patterns = list;
}

export const route = computed<Route & { pattern: string | undefined }>(() => {
  const { path, search } = location.value;
  for (const pattern of patterns) {
    const params = match(pattern, path);
    if (params) return { path, params, query: new URLSearchParams(search), pattern };
  }
  return { path, params: {}, query: new URLSearchParams(search), pattern: undefined };
});

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i] as string;
    const value = have[i] as string;
    if (part.startsWith(':')) {
      if (!value) return undefined;
      params[part.slice(1)] = value;
    } else if (part !== value) return undefined;
  }
  return params;
}

/** An absolute href for a UI-relative target such as `products/ab?x=1`. */
export function href(to: string): string {
  return basePath + to.replace(/^\//, '');
}

/** The current page as a UI-relative target, for `?next=` after sign-in. */
export function here(): string {
  const { path, search } = location.value;
  return path + search;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = href(to);
  if (url === window.location.pathname + window.location.search) return;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  location.value = currentLocation();
  if (!options.replace) window.scrollTo(0, 0);
}

/** Merges changes into the query (undefined or '' removes a key); replaces by default for typing. */
export function setQuery(changes: Record<string, string | undefined>, options: { replace?: boolean } = {}): void {
  const query = new URLSearchParams(location.value.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') query.delete(key);
    else query.set(key, value);
  }
  const search = query.toString();
  navigate(location.value.path + (search ? `?${search}` : ''), options);
}

window.addEventListener('popstate', () => {
  location.value = currentLocation();
});

type AnchorProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children?: ComponentChildren };

/** An ordinary link (so open-in-new-tab and copy-link work) that navigates without a reload. */
export function Link({ to, onClick, ...rest }: AnchorProps): JSX.Element {
  const handle = (event: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
    if (typeof onClick === 'function') onClick(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a {...rest} href={href(to)} onClick={handle} />;
}
