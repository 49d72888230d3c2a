/**
 * What an instance row names: its product and its build's version. Instances carry ids only,
 * so each product and build is read once per tab and shared by every row and page.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Build } from '../../sdk/types/builds.js';
import type { Product } from '../../sdk/types/products.js';
import { api } from '../api.js';

const products = new Map<string, Promise<Product | undefined>>();
/** Names already read, for what must be said at once (an instance that just went away). */
const productNames = new Map<string, string>();
const builds = new Map<string, Promise<Build | undefined>>();

function product(id: string): Promise<Product | undefined> {
  let found = products.get(id);
  if (!found) {
    // Gone or hidden: the row says so instead of failing the page; a later visit asks again.
    found = api()
      .products.retrieve(id)
      .then((read) => (productNames.set(id, read.name), read))
      .catch(() => (products.delete(id), undefined));
    products.set(id, found);
  }
  return found;
}

function build(productId: string, buildId: string): Promise<Build | undefined> {
  let found = builds.get(buildId);
  if (!found) {
    found = api().builds.retrieve(productId, buildId).catch(() => (builds.delete(buildId), undefined));
    builds.set(buildId, found);
  }
  return found;
}

export function knownProductName(id: string | null | undefined): string | undefined {
  return id ? productNames.get(id) : undefined;
}

export interface Names {
  /** Undefined while loading; null when it cannot be read. */
  product?: Product | null;
  build?: Build | null;
}

export function useNames(productId: string | null | undefined, buildId: string): Names {
  const [names, setNames] = useState<Names>({});
  useEffect(() => {
    let live = true;
    if (!productId) {
      setNames({ product: null, build: null });
      return;
    }
    void Promise.all([product(productId), build(productId, buildId)]).then(([p, b]) => live && setNames({ product: p ?? null, build: b ?? null }));
    return () => {
      live = false;
    };
  }, [productId, buildId]);
  return names;
}
