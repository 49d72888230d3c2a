/**
 * How typed names become ids for the nouns others point at (a build's product, an exposure's
 * interface, a platform's owner…), and the parent flags and field references made from them.
 * Kept apart from the noun declarations so that nouns can refer to each other without
 * import cycles.
 */
import type { Build, Configuration, Exposure, Interface, License, Marketplace, PagePromise, Platform, Product, User } from '../../index.js';
import { notSignedIn } from '../errors.js';
import { resolveId, type FieldSpec, type Lookup, type ParentSpec } from '../resource-command.js';

/** The largest page: name lookups want every candidate in as few requests as possible. */
const ALL = { perPage: 100 };

type Lister<T> = (client: Marketplace, parents: string[], filter: Record<string, string>) => PagePromise<T>;

/**
 * Records whose `field` is exactly the value. The filter is also sent to the server, which
 * narrows the list where it can (a substring match); indexes without filters ignore it.
 */
export function matching<T extends { id: string }>(field: keyof T & string, list: Lister<T>): NonNullable<Lookup['findByName']> {
  return async (client, parents, value) => (await list(client, parents, { [field]: value }).toArray()).filter((record) => record[field] === value);
}

/** A parent flag (`--product NAME|ID`) resolved through a lookup. */
export function parentFlag(lookup: Lookup, flag: string, description: string): ParentSpec {
  return { flag, description, resolve: (client, value, outer) => resolveId(lookup, client, outer, value!) };
}

/** A field naming a top-level record (`--interface NAME|ID`), sent as its id. */
export function reference(lookup: Lookup): NonNullable<FieldSpec['resolve']> {
  return (client, value) => resolveId(lookup, client, [], value);
}

/** The id of the user the token belongs to. */
export async function signedInUserId(client: Marketplace): Promise<string> {
  const me = await client.session.whoami();
  if (!me) throw notSignedIn();
  return me.user.id;
}

export const productLookup: Lookup = {
  name: 'products',
  singular: 'product',
  findByName: matching<Product>('name', (client, _parents, filter) => client.products.list({ ...filter, ...ALL })),
};

export const buildLookup: Lookup = {
  name: 'builds',
  singular: 'build',
  nameIs: 'version',
  findByName: matching<Build>('version', (client, [productId], filter) => client.builds.list(productId!, { ...filter, ...ALL })),
};

export const configurationLookup: Lookup = {
  name: 'configurations',
  singular: 'configuration',
  findByName: matching<Configuration>('name', (client, [productId, buildId]) => client.configurations.list(productId!, buildId!)),
};

export const interfaceLookup: Lookup = {
  name: 'interfaces',
  singular: 'interface',
  findByName: matching<Interface>('name', (client, _parents, filter) => client.interfaces.list({ ...filter, ...ALL })),
};

/** Exposures and dependencies have no name of their own: they are found by their interface's name. */
export function byInterface<T extends { id: string; interface_id: string }>(list: (client: Marketplace, parents: string[]) => PagePromise<T>): NonNullable<Lookup['findByName']> {
  return async (client, parents, name) => {
    const interfaceIds = new Set((await interfaceLookup.findByName!(client, [], name)).map((i) => i.id));
    if (!interfaceIds.size) return [];
    return (await list(client, parents).toArray()).filter((record) => interfaceIds.has(record.interface_id));
  };
}

export const exposureLookup: Lookup = {
  name: 'exposures',
  singular: 'exposure',
  nameIs: 'interface',
  findByName: byInterface<Exposure>((client, [productId, buildId]) => client.exposures.list(productId!, buildId!)),
};

export const licenseLookup: Lookup = {
  name: 'licenses',
  singular: 'license',
  findByName: matching<License>('name', (client, _parents, filter) => client.licenses.list({ ...filter, ...ALL })),
};

export const userLookup: Lookup = {
  name: 'users',
  singular: 'user',
  findByName: matching<User>('name', (client, _parents, filter) => client.users.list({ ...filter, ...ALL })),
};

export const platformLookup: Lookup = {
  name: 'platforms',
  singular: 'platform',
  findByName: matching<Platform>('name', (client, [userId], filter) => client.platforms.list(userId!, { ...filter, ...ALL })),
};

export const productParent = parentFlag(productLookup, 'product', 'the product: name or id');
export const buildParent = parentFlag(buildLookup, 'build', 'the build: version or id');
export const configurationParent = parentFlag(configurationLookup, 'configuration', 'the configuration: name or id');
export const exposureParent = parentFlag(exposureLookup, 'exposure', "the exposure: its interface's name, or its id");
export const platformParent = parentFlag(platformLookup, 'platform', 'the platform: name or id');

/** Platforms (and their instances) belong to a user: you, unless an administrator names another. */
export const userParent: ParentSpec = {
  flag: 'user',
  optional: true,
  description: "whose: a user's name or id (default: you; naming others needs the right)",
  resolve: (client, value) => (value === undefined ? signedInUserId(client) : resolveId(userLookup, client, [], value)),
};
