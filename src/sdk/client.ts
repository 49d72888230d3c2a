/**
 * `Marketplace`: the SDK's entry point. Holds the transport and the API generation, and
 * exposes one property per resource family.
 */
import { detectDialect, fromWire, mapPath, toWire, type Dialect, type DialectOption } from './dialect.js';
import { InvalidArgumentError, InvalidResponseError } from './errors.js';
import { isListBody } from './pagination.js';
import {
  Transport,
  type HttpMethod,
  type Query,
  type RequestOptions,
  type TransportOptions,
} from './transport.js';
import { Appointments } from './resources/appointments.js';
import { Attempts } from './resources/attempts.js';
import { Authorizations } from './resources/authorizations.js';
import { Badges } from './resources/badges.js';
import { Builds } from './resources/builds.js';
import { Claims } from './resources/claims.js';
import { Configurations } from './resources/configurations.js';
import { Dependencies } from './resources/dependencies.js';
import { Entitlements } from './resources/entitlements.js';
import { Exposures } from './resources/exposures.js';
import { Groups } from './resources/groups.js';
import { Identities } from './resources/identities.js';
import { IdentityProviders } from './resources/identity-providers.js';
import { Instances } from './resources/instances.js';
import { Interfaces } from './resources/interfaces.js';
import { Licenses } from './resources/licenses.js';
import { Members } from './resources/members.js';
import { Parameters } from './resources/parameters.js';
import { Platforms } from './resources/platforms.js';
import { ProductLicenses } from './resources/product-licenses.js';
import { Products } from './resources/products.js';
import { Roles } from './resources/roles.js';
import { Screenshots } from './resources/screenshots.js';
import { Session } from './resources/session.js';
import { SubProducts } from './resources/sub-products.js';
import { Surrogates } from './resources/surrogates.js';
import { Tasks } from './resources/tasks.js';
import { Users } from './resources/users.js';
import { Vouchers } from './resources/vouchers.js';
import { Events } from '../events/index.js';

export interface MarketplaceOptions extends TransportOptions {
  /** `auto` (default) asks `GET /status` once; `r1` speaks `/services`, `r2` `/products`. */
  dialect?: DialectOption;
}

/** A raw request for anything the typed resources don't cover (the CLI's `hsp api`). */
export interface RawRequest extends RequestOptions {
  method: HttpMethod;
  path: string;
  query?: Query;
  body?: unknown;
}

export class Marketplace {
  readonly baseUrl: string;

  readonly products: Products;
  readonly productLicenses: ProductLicenses;
  readonly builds: Builds;
  readonly dependencies: Dependencies;
  readonly exposures: Exposures;
  readonly parameters: Parameters;
  readonly configurations: Configurations;
  readonly tasks: Tasks;
  readonly screenshots: Screenshots;
  readonly subProducts: SubProducts;
  readonly badges: Badges;
  readonly licenses: Licenses;
  readonly entitlements: Entitlements;
  readonly claims: Claims;
  readonly vouchers: Vouchers;
  readonly attempts: Attempts;
  /** Dynamic authorisation: may a user or group use a product now (licence checks). */
  readonly authorizations: Authorizations;
  readonly interfaces: Interfaces;
  readonly surrogates: Surrogates;
  readonly users: Users;
  readonly identities: Identities;
  readonly platforms: Platforms;
  readonly instances: Instances;
  readonly groups: Groups;
  readonly members: Members;
  readonly roles: Roles;
  readonly appointments: Appointments;
  readonly identityProviders: IdentityProviders;
  readonly session: Session;
  /** The realtime event stream (WebSocket). */
  readonly events: Events;

  private readonly transport: Transport;
  private readonly dialectOption: DialectOption;
  private dialectPromise: Promise<Dialect> | undefined;

  constructor(options: MarketplaceOptions) {
    if (!options || typeof options.baseUrl !== 'string' || !options.baseUrl.trim()) {
      throw new InvalidArgumentError('baseUrl', 'new Marketplace() needs a baseUrl, e.g. { baseUrl: "http://127.0.0.1:3000" }.');
    }
    const dialect = options.dialect ?? 'auto';
    if (!['auto', 'r1', 'r2'].includes(dialect)) {
      throw new InvalidArgumentError('dialect', `dialect must be "auto", "r1" or "r2", got "${String(dialect)}".`);
    }
    this.transport = new Transport(options);
    this.baseUrl = this.transport.baseUrl.href.replace(/\/$/, '');
    this.dialectOption = dialect;

    this.products = new Products(this);
    this.productLicenses = new ProductLicenses(this);
    this.builds = new Builds(this);
    this.dependencies = new Dependencies(this);
    this.exposures = new Exposures(this);
    this.parameters = new Parameters(this);
    this.configurations = new Configurations(this);
    this.tasks = new Tasks(this);
    this.screenshots = new Screenshots(this);
    this.subProducts = new SubProducts(this);
    this.badges = new Badges(this);
    this.licenses = new Licenses(this);
    this.entitlements = new Entitlements(this);
    this.claims = new Claims(this);
    this.vouchers = new Vouchers(this);
    this.attempts = new Attempts(this);
    this.authorizations = new Authorizations(this);
    this.interfaces = new Interfaces(this);
    this.surrogates = new Surrogates(this);
    this.users = new Users(this);
    this.identities = new Identities(this);
    this.platforms = new Platforms(this);
    this.instances = new Instances(this);
    this.groups = new Groups(this);
    this.members = new Members(this);
    this.roles = new Roles(this);
    this.appointments = new Appointments(this);
    this.identityProviders = new IdentityProviders(this);
    this.session = new Session(this);
    this.events = new Events(this);
  }

  /** The API generation in use; with `auto`, detected once from `GET /status`. */
  dialect(): Promise<Dialect> {
    if (this.dialectOption !== 'auto') return Promise.resolve(this.dialectOption);
    this.dialectPromise ??= this.transport.request({ method: 'GET', path: '/status' }).then(
      (res) => detectDialect(res.data),
      (error: unknown) => {
        // Not cached: the next call tries again (the server may just have been down).
        this.dialectPromise = undefined;
        throw error;
      },
    );
    return this.dialectPromise;
  }

  /**
   * Any request, with the client's auth, retries, timeouts and typed errors; the path is sent
   * as given (no dialect mapping). Returns the parsed JSON body, or `null` when there is none.
   */
  async request<T = unknown>(req: RawRequest): Promise<T> {
    const { method, path, query, body, ...options } = req;
    const res = await this.transport.request<T>({ method, path, query, body, ...options });
    return res.data;
  }

  /** The absolute URL for an API path, as this client would request it. */
  url(path: string, query?: Query): string {
    return this.transport.url(path, query).href;
  }

  /** Closes idle keep-alive connections; the client can still be used afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }

  /** @internal The bearer token for the event stream. */
  _token(): Promise<string | undefined> {
    return this.transport.token(false);
  }

  /** @internal Resource plumbing: maps the dialect both ways and returns the JSON body. */
  async _json(
    method: HttpMethod,
    path: string,
    init: { body?: unknown; query?: Query; options?: RequestOptions; idempotent?: boolean } = {},
  ): Promise<unknown> {
    const dialect = await this.dialect();
    const res = await this.transport.request({
      ...init.options,
      method,
      path: mapPath(path, dialect),
      query: toWire(init.query, dialect),
      body: toWire(init.body, dialect),
      idempotent: init.idempotent,
    });
    return fromWire(res.data, dialect);
  }

  /** @internal One page of an index, checked to be a list. Searches send the query as a body. */
  async _list(method: 'GET' | 'POST', path: string, query: Query, options: RequestOptions | undefined): Promise<unknown> {
    const body =
      method === 'GET'
        ? await this._json('GET', path, { query, options })
        : await this._json('POST', path, { body: dropEmpty(query), options, idempotent: true });
    if (!isListBody(body)) {
      throw new InvalidResponseError(
        `${method} ${path} returned something that is not a list.`,
        200,
        method,
        this.url(path, query),
        JSON.stringify(body)?.slice(0, 2000) ?? '',
      );
    }
    return body;
  }

  /** @internal A file's headers (its ETag, say) without its body: a HEAD request. */
  async _head(path: string, options?: RequestOptions): Promise<Headers> {
    const dialect = await this.dialect();
    const res = await this.transport.stream({ ...options, method: 'HEAD', path: mapPath(path, dialect) });
    await res.body?.cancel();
    return res.headers;
  }

  /** @internal An open response for a file download. */
  async _stream(path: string, options: RequestOptions | undefined): Promise<Response> {
    const dialect = await this.dialect();
    return this.transport.stream({ ...options, method: 'GET', path: mapPath(path, dialect) });
  }
}

function dropEmpty(query: Query): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== null));
}
