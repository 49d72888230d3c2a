/**
 * Licensing, interface, account, RBAC and session resources: the exact wire each method
 * speaks (method, path, query, wrapped body with parent ids, client ids, JSON-string fields)
 * and what callers get back. Fixture shapes follow the reference server's captures.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Marketplace, Page, type RequestOptions } from '../../../src/index.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();

function client(dialect: 'r1' | 'r2' = 'r2') {
  return new Marketplace({ baseUrl: BASE_URL, dialect, maxRetries: 0 });
}

/** Every row passes this, so every method is shown to forward its request options. */
const opts: RequestOptions = { headers: { 'x-hsp-test': 'row' } };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const clientId = expect.stringMatching(UUID_V4);
const HOST = 'http://127.0.0.1:3789';
const T0 = '2026-11-26T06:27:08.418Z';
const T1 = '2026-11-26T06:27:29.918Z';

// Ids from the captures where there is one, invented (but valid) otherwise.
const USER = '53ae2c3f-a31f-4a95-a8c9-536f9c6cfde2';
const ADMIN = '8cddb934-0558-43e0-a7df-8712c36d84e5';
const LICENSE = '949eba06-6fb5-4b72-9b99-0698bdfec0cc';
const INTERFACE = 'cfe86705-7c74-4681-9b2e-e9fddbf15cf0';
const SUBSTITUTE = '4f94010e-f784-48f8-acd2-2de404f7e742';
const SURROGATE = '6e69bc37-e372-47ed-9ce2-5f8a6e926958';
const IDENTITY = 'fc3c0018-b0fd-4c44-9990-e701778af2d0';
const IDP = '77fdaf23-f4fd-4b5d-856b-e4823c57cf70';
const PLATFORM = '4a99097a-2009-496b-a106-152abb8f973b';
const INSTANCE = '67f78e92-299d-401a-bfe8-d0362be264ad';
const BUILD = '931cc915-a828-4d9c-86dc-4a11a0b4be4e';
const PRODUCT = '2e25631c-eb8f-4594-8593-2894e3d24f62';
const PRODUCT_LICENSE = '5b0c8a52-3c1e-4b8e-9d44-0f6a1c2d3e4f';
const ENTITLEMENT = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
const CLAIM = 'b2c3d4e5-f6a7-4890-9bcd-ef0123456789';
const VOUCHER = 'c3d4e5f6-a7b8-4901-8cde-f01234567890';
const ATTEMPT = 'd4e5f6a7-b8c9-4012-9def-012345678901';
const GROUP = 'e5f6a7b8-c9d0-4123-8ef0-123456789012';
const MEMBER = 'f6a7b8c9-d0e1-4234-9f01-234567890123';
const ROLE = '0a1b2c3d-4e5f-4678-89ab-cdef01234567';
const APPOINTMENT = '1b2c3d4e-5f60-4789-9abc-def012345678';
const OTHER = '00000000-0000-4000-8000-000000000000';

// ---- fixtures (shapes copied from the captures named) ----

/** 145-licenses-show-anonymous: no self link, `url` is the licence text. */
const license = { id: LICENSE, name: 'MIT', url: 'https://opensource.org/licenses/MIT', created_at: T0, updated_at: T0 };
/** 142-licenses-index-anonymous. */
const envelope = <T>(results: T[], extra: Record<string, unknown> = {}) => ({
  total_pages: 1,
  total_entries: results.length,
  previous_page: null,
  next_page: null,
  current_page: 1,
  results,
  ...extra,
});
const entitlement = {
  id: ENTITLEMENT,
  user_id: USER,
  product_license_id: PRODUCT_LICENSE,
  valid_from: '2026-01-01T00:00:00.000Z',
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/entitlements/${ENTITLEMENT}.json`,
};
const claim = {
  id: CLAIM,
  claimant_id: USER,
  claimant_type: 'User',
  entitlement_id: ENTITLEMENT,
  authorization_count: 0,
  authorized_at: null,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/entitlements/${ENTITLEMENT}/claims/${CLAIM}.json`,
};
const voucher = {
  id: VOUCHER,
  product_license_id: PRODUCT_LICENSE,
  entitlement_id: null,
  code: 'SPRING-2026',
  issued_at: T0,
  expires_at: null,
  redeemed_at: null,
  redeemed_by: null,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/vouchers/${VOUCHER}.json`,
};
const attempt = {
  id: ATTEMPT,
  claim_id: CLAIM,
  claimant_id: USER,
  claimant_type: 'User',
  product_id: PRODUCT,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/attempts/${ATTEMPT}.json`,
};
/** 185-interfaces-show-anonymous. */
const iface = {
  id: INTERFACE,
  name: 'FHIR R4',
  uri: 'http://hl7.org/fhir/R4',
  version: '4.0.1',
  ordinal: 1,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/interfaces/${INTERFACE}.json`,
};
/** 190-surrogates-create-admin (the url really repeats the surrogate id). */
const surrogate = {
  id: SURROGATE,
  interface_id: INTERFACE,
  substitute_id: SUBSTITUTE,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/interfaces/${SURROGATE}/surrogates/${SURROGATE}.json`,
};
/** 201-users-show-admin. */
const user = {
  id: USER,
  external_id: null,
  name: 'Simple User',
  first_name: null,
  middle_name: null,
  last_name: null,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/users/${USER}`,
  path: `/users/${USER}`,
};
/** 213-identities-show-admin. */
const identity = {
  id: IDENTITY,
  user_id: USER,
  identity_provider_id: IDP,
  sub: 'fake_standard_user',
  iat: null,
  hd: null,
  locale: null,
  email: null,
  jwt: {},
  notify_via_email: false,
  notify_via_sms: false,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/users/${USER}/identities/${IDENTITY}`,
};
/** 216-platforms-create-standard. */
const platform = {
  id: PLATFORM,
  name: 'Capture Platform',
  user_id: USER,
  public_key: 'ssh-rsa AAAAcapture',
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/users/${USER}/platforms/${PLATFORM}.json`,
  path: `/users/${USER}/platforms/${PLATFORM}.json`,
};
/** 228-instances-create-standard. */
const instance = {
  id: INSTANCE,
  platform_id: PLATFORM,
  build_id: BUILD,
  launch_bindings: {},
  deployed_at: null,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/users/${USER}/platforms/${PLATFORM}/instances/${INSTANCE}.json`,
  path: `/users/${USER}/platforms/${PLATFORM}/instances/${INSTANCE}.json`,
};
const group = {
  id: GROUP,
  name: 'Cardiology',
  description: 'Cardiology department',
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/groups/${GROUP}`,
  path: `/groups/${GROUP}`,
};
/** members#show renders no link. */
const member = { id: MEMBER, group_id: GROUP, user_id: USER, created_at: T0, updated_at: T0 };
/** The permission tree of 003-status-standard. */
const standardPermissions = {
  everything: { manage: false },
  users: { create: false, read: false, update: false, delete: false, update_self: false, read_self: false },
  groups: { create: false, read: false, update: false, delete: false },
  products: { create: false, read: true, update: false, delete: false },
};
const role = {
  id: ROLE,
  name: 'Standard',
  description: 'Every new user',
  default: true,
  created_at: T0,
  updated_at: T0,
  url: `${HOST}/roles/${ROLE}`,
  path: `/roles/${ROLE}`,
  permissions: standardPermissions,
};
/** appointments#show renders no link. */
const appointment = { id: APPOINTMENT, entity_id: USER, entity_type: 'User', role_id: ROLE, created_at: T0, updated_at: T0 };
/** As an administrator sees it (anonymous readers get only id, name, issuer and links). */
const idp = {
  id: IDP,
  name: 'Logica Health',
  issuer: 'https://id.logicahealth.org/auth/realms/master',
  redirect_url: `${HOST}/identity_providers/${IDP}/redirect.json`,
  client_id: 'marketplace-server',
  client_secret: 'not-a-real-secret',
  alternate_client_id: null,
  scopes: 'openid,email,profile,roles',
  enabled_at: null,
  configuration: null,
  public_keys: null,
  created_at: T0,
  updated_at: T0,
  path: `/identity_providers/${IDP}.json`,
  url: `${HOST}/identity_providers/${IDP}.json`,
};
/** 001-status-anonymous. */
const statusAnonymous = {
  message: 'This application server and underlying database connection appear to be healthy.',
  product: { datetime: '2026-11-26T06:27:21.962+00:00' },
  database: { datetime: '2026-11-26T06:27:21.963+00:00' },
};
/** 002-status-admin (token placeholder as in the capture). */
const adminUser = {
  id: ADMIN,
  external_id: null,
  name: 'Alice Administrator',
  first_name: null,
  middle_name: null,
  last_name: null,
  created_at: '2026-11-26T06:27:08.600Z',
  updated_at: '2026-11-26T06:27:08.600Z',
  url: `${HOST}/users/${ADMIN}`,
  path: `/users/${ADMIN}`,
};
const adminPermissions = { ...standardPermissions, everything: { manage: true } };
const statusAdmin = {
  jwt: { id: 'e19d286b-e3f2-429a-abc7-edcf518e27d0', encoded: '<admin token>' },
  message: 'This application server and underlying database connection appear to be healthy.',
  product: { datetime: '2026-11-26T06:27:22.105+00:00' },
  database: { datetime: '2026-11-26T06:27:22.106+00:00' },
  identity: {
    id: 'dcc9852c-7c80-4e15-a0b2-5472be33613c',
    user_id: ADMIN,
    user: adminUser,
    provider: { id: IDP, name: 'Logica Health' },
  },
  permissions: adminPermissions,
};

// ---- the table: one row per public method call ----

interface Row {
  /** `<client property>.<method>`: the coverage test reads it. */
  name: string;
  call: (c: Marketplace) => PromiseLike<unknown>;
  method: string;
  path: string;
  query?: Record<string, string>;
  /** The expected parsed request body (none → null). */
  body?: unknown;
  /** The server's JSON answer; `null` answers 204 with no body. */
  reply: unknown;
  status?: number;
  /** What the caller gets: a record, null, or (for lists) the page's items. */
  result: unknown;
}

const bindings = { FHIR_BASE_URL: 'http://fhir:8080/fhir', replicas: 2, flags: { debug: false } };
const jwtClaims = { sub: 'fake_standard_user', email: 'simple@example.org', email_verified: true };

const rows: Row[] = [
  // licenses
  {
    name: 'licenses.list',
    call: (c) => c.licenses.list({ sort: 'url', order: 'desc', perPage: 3 }, opts),
    method: 'GET',
    path: '/licenses',
    query: { sort: 'url', order: 'desc', per_page: '3' },
    reply: envelope([license]),
    result: [license],
  },
  { name: 'licenses.retrieve', call: (c) => c.licenses.retrieve(LICENSE, opts), method: 'GET', path: `/licenses/${LICENSE}`, reply: license, result: license },
  {
    name: 'licenses.create',
    call: (c) =>
      c.licenses.create({ name: 'Capture License', url: 'https://example.org/capture-license', expiry: 'relative_date', days_valid: 30, uses: 5 }, opts),
    method: 'POST',
    path: '/licenses',
    body: { license: { name: 'Capture License', url: 'https://example.org/capture-license', expiry: 'relative_date', days_valid: 30, uses: 5, id: clientId } },
    status: 201,
    reply: { ...license, name: 'Capture License' },
    result: { ...license, name: 'Capture License' },
  },
  {
    name: 'licenses.update',
    call: (c) => c.licenses.update(LICENSE, { name: 'MIT v2', expiry: 'absolute_date', expires_at: '2030-01-01T00:00:00Z' }, opts),
    method: 'PATCH',
    path: `/licenses/${LICENSE}`,
    body: { license: { name: 'MIT v2', expiry: 'absolute_date', expires_at: '2030-01-01T00:00:00Z' } },
    reply: { ...license, name: 'MIT v2', updated_at: T1 },
    result: { ...license, name: 'MIT v2', updated_at: T1 },
  },
  { name: 'licenses.delete', call: (c) => c.licenses.delete(LICENSE, opts), method: 'DELETE', path: `/licenses/${LICENSE}`, reply: license, result: license },

  // entitlements (bare arrays; delete is 204)
  { name: 'entitlements.list', call: (c) => c.entitlements.list({}, opts), method: 'GET', path: '/entitlements', reply: [entitlement], result: [entitlement] },
  {
    name: 'entitlements.retrieve',
    call: (c) => c.entitlements.retrieve(ENTITLEMENT, opts),
    method: 'GET',
    path: `/entitlements/${ENTITLEMENT}`,
    reply: entitlement,
    result: entitlement,
  },
  {
    name: 'entitlements.create',
    call: (c) => c.entitlements.create({ user_id: USER, product_license_id: PRODUCT_LICENSE, valid_from: '2026-01-01T00:00:00Z' }, opts),
    method: 'POST',
    path: '/entitlements',
    body: { entitlement: { user_id: USER, product_license_id: PRODUCT_LICENSE, valid_from: '2026-01-01T00:00:00Z', id: clientId } },
    status: 201,
    reply: entitlement,
    result: entitlement,
  },
  {
    name: 'entitlements.update',
    call: (c) => c.entitlements.update(ENTITLEMENT, { valid_from: null }, opts),
    method: 'PATCH',
    path: `/entitlements/${ENTITLEMENT}`,
    body: { entitlement: { valid_from: null } },
    reply: { ...entitlement, valid_from: null },
    result: { ...entitlement, valid_from: null },
  },
  { name: 'entitlements.delete', call: (c) => c.entitlements.delete(ENTITLEMENT, opts), method: 'DELETE', path: `/entitlements/${ENTITLEMENT}`, reply: null, status: 204, result: null },

  // claims (nested under an entitlement; entitlement_id goes in the body)
  {
    name: 'claims.list',
    call: (c) => c.claims.list(ENTITLEMENT, { perPage: 10 }, opts),
    method: 'GET',
    path: `/entitlements/${ENTITLEMENT}/claims`,
    query: { per_page: '10' },
    reply: [claim],
    result: [claim],
  },
  {
    name: 'claims.retrieve',
    call: (c) => c.claims.retrieve(ENTITLEMENT, CLAIM, opts),
    method: 'GET',
    path: `/entitlements/${ENTITLEMENT}/claims/${CLAIM}`,
    reply: claim,
    result: claim,
  },
  {
    name: 'claims.create',
    call: (c) => c.claims.create(ENTITLEMENT, { claimant_id: USER, claimant_type: 'User', authorization_count: 0 }, opts),
    method: 'POST',
    path: `/entitlements/${ENTITLEMENT}/claims`,
    body: { claim: { claimant_id: USER, claimant_type: 'User', authorization_count: 0, entitlement_id: ENTITLEMENT, id: clientId } },
    status: 201,
    reply: claim,
    result: claim,
  },
  {
    name: 'claims.update',
    call: (c) => c.claims.update(ENTITLEMENT, CLAIM, { authorization_count: 3, authorized_at: T1 }, opts),
    method: 'PATCH',
    path: `/entitlements/${ENTITLEMENT}/claims/${CLAIM}`,
    body: { claim: { authorization_count: 3, authorized_at: T1 } },
    reply: { ...claim, authorization_count: 3, authorized_at: T1 },
    result: { ...claim, authorization_count: 3, authorized_at: T1 },
  },
  {
    name: 'claims.delete',
    call: (c) => c.claims.delete(ENTITLEMENT, CLAIM, opts),
    method: 'DELETE',
    path: `/entitlements/${ENTITLEMENT}/claims/${CLAIM}`,
    reply: null,
    status: 204,
    result: null,
  },

  // vouchers
  { name: 'vouchers.list', call: (c) => c.vouchers.list(undefined, opts), method: 'GET', path: '/vouchers', reply: [voucher], result: [voucher] },
  { name: 'vouchers.retrieve', call: (c) => c.vouchers.retrieve(VOUCHER, opts), method: 'GET', path: `/vouchers/${VOUCHER}`, reply: voucher, result: voucher },
  {
    name: 'vouchers.create',
    call: (c) => c.vouchers.create({ product_license_id: PRODUCT_LICENSE, code: 'SPRING-2026', issued_at: T0 }, opts),
    method: 'POST',
    path: '/vouchers',
    body: { voucher: { product_license_id: PRODUCT_LICENSE, code: 'SPRING-2026', issued_at: T0, id: clientId } },
    status: 201,
    reply: voucher,
    result: voucher,
  },
  {
    name: 'vouchers.update',
    call: (c) => c.vouchers.update(VOUCHER, { redeemed_at: T1, redeemed_by: USER, entitlement_id: ENTITLEMENT }, opts),
    method: 'PATCH',
    path: `/vouchers/${VOUCHER}`,
    body: { voucher: { redeemed_at: T1, redeemed_by: USER, entitlement_id: ENTITLEMENT } },
    reply: { ...voucher, redeemed_at: T1, redeemed_by: USER, entitlement_id: ENTITLEMENT },
    result: { ...voucher, redeemed_at: T1, redeemed_by: USER, entitlement_id: ENTITLEMENT },
  },
  { name: 'vouchers.delete', call: (c) => c.vouchers.delete(VOUCHER, opts), method: 'DELETE', path: `/vouchers/${VOUCHER}`, reply: null, status: 204, result: null },
  {
    name: 'vouchers.redeem',
    call: (c) => c.vouchers.redeem('SPRING-2026', { user_id: USER, ...opts }),
    method: 'POST',
    path: '/vouchers/redeem',
    body: { voucher: { code: 'SPRING-2026', user_id: USER } },
    status: 201,
    reply: { ...voucher, redeemed_at: T1, redeemed_by: USER, entitlement_id: ENTITLEMENT, entitlement },
    result: { ...voucher, redeemed_at: T1, redeemed_by: USER, entitlement_id: ENTITLEMENT, entitlement },
  },

  // attempts
  {
    name: 'attempts.list',
    call: (c) => c.attempts.list({ product_id: PRODUCT, order: 'desc' }, opts),
    method: 'GET',
    path: '/attempts',
    query: { product_id: PRODUCT, order: 'desc' },
    reply: [attempt],
    result: [attempt],
  },
  { name: 'attempts.retrieve', call: (c) => c.attempts.retrieve(ATTEMPT, opts), method: 'GET', path: `/attempts/${ATTEMPT}`, reply: attempt, result: attempt },
  {
    name: 'attempts.create',
    call: (c) => c.attempts.create({ claim_id: CLAIM, claimant_id: USER, claimant_type: 'User', product_id: PRODUCT }, opts),
    method: 'POST',
    path: '/attempts',
    body: { attempt: { claim_id: CLAIM, claimant_id: USER, claimant_type: 'User', product_id: PRODUCT, id: clientId } },
    status: 201,
    reply: attempt,
    result: attempt,
  },
  {
    name: 'attempts.update',
    call: (c) => c.attempts.update(ATTEMPT, { claim_id: null }, opts),
    method: 'PATCH',
    path: `/attempts/${ATTEMPT}`,
    body: { attempt: { claim_id: null } },
    reply: { ...attempt, claim_id: null },
    result: { ...attempt, claim_id: null },
  },
  { name: 'attempts.delete', call: (c) => c.attempts.delete(ATTEMPT, opts), method: 'DELETE', path: `/attempts/${ATTEMPT}`, reply: attempt, result: attempt },

  // interfaces (delete is 204)
  {
    name: 'interfaces.list',
    call: (c) => c.interfaces.list({ sort: 'version', page: 2 }, opts),
    method: 'GET',
    path: '/interfaces',
    query: { sort: 'version', page: '2' },
    reply: envelope([iface], { current_page: 2, total_pages: 2, previous_page: 1 }),
    result: [iface],
  },
  { name: 'interfaces.retrieve', call: (c) => c.interfaces.retrieve(INTERFACE, opts), method: 'GET', path: `/interfaces/${INTERFACE}`, reply: iface, result: iface },
  {
    name: 'interfaces.create',
    call: (c) => c.interfaces.create({ name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1', ordinal: 1 }, opts),
    method: 'POST',
    path: '/interfaces',
    body: { interface: { name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1', ordinal: 1, id: clientId } },
    status: 201,
    reply: iface,
    result: iface,
  },
  {
    name: 'interfaces.update',
    call: (c) => c.interfaces.update(INTERFACE, { ordinal: 10 }, opts),
    method: 'PATCH',
    path: `/interfaces/${INTERFACE}`,
    body: { interface: { ordinal: 10 } },
    reply: { ...iface, ordinal: 10 },
    result: { ...iface, ordinal: 10 },
  },
  { name: 'interfaces.delete', call: (c) => c.interfaces.delete(INTERFACE, opts), method: 'DELETE', path: `/interfaces/${INTERFACE}`, reply: null, status: 204, result: null },

  // surrogates (nested under an interface; bare array; delete is 204)
  {
    name: 'surrogates.list',
    call: (c) => c.surrogates.list(INTERFACE, opts),
    method: 'GET',
    path: `/interfaces/${INTERFACE}/surrogates`,
    reply: [surrogate],
    result: [surrogate],
  },
  {
    name: 'surrogates.retrieve',
    call: (c) => c.surrogates.retrieve(INTERFACE, SURROGATE, opts),
    method: 'GET',
    path: `/interfaces/${INTERFACE}/surrogates/${SURROGATE}`,
    reply: surrogate,
    result: surrogate,
  },
  {
    name: 'surrogates.create',
    call: (c) => c.surrogates.create(INTERFACE, { substitute_id: SUBSTITUTE }, opts),
    method: 'POST',
    path: `/interfaces/${INTERFACE}/surrogates`,
    body: { surrogate: { substitute_id: SUBSTITUTE, interface_id: INTERFACE, id: clientId } },
    status: 201,
    reply: surrogate,
    result: surrogate,
  },
  {
    name: 'surrogates.update',
    call: (c) => c.surrogates.update(INTERFACE, SURROGATE, { substitute_id: OTHER }, opts),
    method: 'PATCH',
    path: `/interfaces/${INTERFACE}/surrogates/${SURROGATE}`,
    body: { surrogate: { substitute_id: OTHER } },
    reply: { ...surrogate, substitute_id: OTHER },
    result: { ...surrogate, substitute_id: OTHER },
  },
  {
    name: 'surrogates.delete',
    call: (c) => c.surrogates.delete(INTERFACE, SURROGATE, opts),
    method: 'DELETE',
    path: `/interfaces/${INTERFACE}/surrogates/${SURROGATE}`,
    reply: null,
    status: 204,
    result: null,
  },

  // users
  {
    name: 'users.list',
    call: (c) => c.users.list({ name: 'Ethan', external_id: 'emp-7', sort: 'name', order: 'desc', perPage: 5 }, opts),
    method: 'GET',
    path: '/users',
    query: { name: 'Ethan', external_id: 'emp-7', sort: 'name', order: 'desc', per_page: '5' },
    reply: envelope([user]),
    result: [user],
  },
  { name: 'users.retrieve', call: (c) => c.users.retrieve(USER, opts), method: 'GET', path: `/users/${USER}`, reply: user, result: user },
  {
    name: 'users.create',
    call: (c) => c.users.create({ name: 'Capture Person', first_name: 'Capture', last_name: 'Person', salutation: 'Dr.' }, opts),
    method: 'POST',
    path: '/users',
    body: { user: { name: 'Capture Person', first_name: 'Capture', last_name: 'Person', salutation: 'Dr.', id: clientId } },
    status: 201,
    reply: { ...user, name: 'Capture Person', first_name: 'Capture', last_name: 'Person' },
    result: { ...user, name: 'Capture Person', first_name: 'Capture', last_name: 'Person' },
  },
  {
    name: 'users.update',
    call: (c) => c.users.update(USER, { middle_name: 'Q' }, opts),
    method: 'PATCH',
    path: `/users/${USER}`,
    body: { user: { middle_name: 'Q' } },
    reply: { ...user, middle_name: 'Q' },
    result: { ...user, middle_name: 'Q' },
  },
  { name: 'users.delete', call: (c) => c.users.delete(USER, opts), method: 'DELETE', path: `/users/${USER}`, reply: user, result: user },

  // identities (jwt: JSON string on the wire, object to callers)
  {
    name: 'identities.list',
    call: (c) => c.identities.list(USER, { perPage: 2 }, opts),
    method: 'GET',
    path: `/users/${USER}/identities`,
    query: { per_page: '2' },
    reply: envelope([{ ...identity, jwt: JSON.stringify(jwtClaims) }]),
    result: [{ ...identity, jwt: jwtClaims }],
  },
  {
    name: 'identities.retrieve',
    call: (c) => c.identities.retrieve(USER, IDENTITY, opts),
    method: 'GET',
    path: `/users/${USER}/identities/${IDENTITY}`,
    reply: { ...identity, jwt: JSON.stringify(jwtClaims) },
    result: { ...identity, jwt: jwtClaims },
  },
  {
    name: 'identities.create',
    call: (c) => c.identities.create(USER, { identity_provider_id: IDP, sub: 'fake_standard_user', email: 'simple@example.org', jwt: jwtClaims }, opts),
    method: 'POST',
    path: `/users/${USER}/identities`,
    body: {
      identity: {
        identity_provider_id: IDP,
        sub: 'fake_standard_user',
        email: 'simple@example.org',
        jwt: JSON.stringify(jwtClaims),
        user_id: USER,
        id: clientId,
      },
    },
    status: 201,
    reply: { ...identity, email: 'simple@example.org', jwt: jwtClaims },
    result: { ...identity, email: 'simple@example.org', jwt: jwtClaims },
  },
  {
    name: 'identities.update',
    call: (c) => c.identities.update(USER, IDENTITY, { notify_via_email: true, jwt: { locale: 'en' } }, opts),
    method: 'PATCH',
    path: `/users/${USER}/identities/${IDENTITY}`,
    body: { identity: { notify_via_email: true, jwt: '{"locale":"en"}' } },
    reply: { ...identity, notify_via_email: true, jwt: '{"locale":"en"}' },
    result: { ...identity, notify_via_email: true, jwt: { locale: 'en' } },
  },
  {
    name: 'identities.delete',
    call: (c) => c.identities.delete(USER, IDENTITY, opts),
    method: 'DELETE',
    path: `/users/${USER}/identities/${IDENTITY}`,
    reply: { ...identity, jwt: '{}' },
    result: identity,
  },

  // platforms (user_id goes in the body)
  {
    name: 'platforms.list',
    call: (c) => c.platforms.list(USER, { sort: 'name' }, opts),
    method: 'GET',
    path: `/users/${USER}/platforms`,
    query: { sort: 'name' },
    reply: envelope([platform]),
    result: [platform],
  },
  {
    name: 'platforms.retrieve',
    call: (c) => c.platforms.retrieve(USER, PLATFORM, opts),
    method: 'GET',
    path: `/users/${USER}/platforms/${PLATFORM}`,
    reply: platform,
    result: platform,
  },
  {
    name: 'platforms.create',
    call: (c) => c.platforms.create(USER, { name: 'Capture Platform', public_key: 'ssh-rsa AAAAcapture' }, opts),
    method: 'POST',
    path: `/users/${USER}/platforms`,
    body: { platform: { name: 'Capture Platform', public_key: 'ssh-rsa AAAAcapture', user_id: USER, id: clientId } },
    status: 201,
    reply: platform,
    result: platform,
  },
  {
    name: 'platforms.update',
    call: (c) => c.platforms.update(USER, PLATFORM, { public_key: 'ssh-rsa AAAAupdated' }, opts),
    method: 'PATCH',
    path: `/users/${USER}/platforms/${PLATFORM}`,
    body: { platform: { public_key: 'ssh-rsa AAAAupdated' } },
    reply: { ...platform, public_key: 'ssh-rsa AAAAupdated' },
    result: { ...platform, public_key: 'ssh-rsa AAAAupdated' },
  },
  {
    name: 'platforms.delete',
    call: (c) => c.platforms.delete(USER, PLATFORM, opts),
    method: 'DELETE',
    path: `/users/${USER}/platforms/${PLATFORM}`,
    reply: platform,
    result: platform,
  },

  // instances (platform_id in the body; launch_bindings a JSON string on the wire)
  {
    name: 'instances.list',
    call: (c) => c.instances.list(USER, PLATFORM, { page: 1 }, opts),
    method: 'GET',
    path: `/users/${USER}/platforms/${PLATFORM}/instances`,
    query: { page: '1' },
    reply: envelope([{ ...instance, launch_bindings: JSON.stringify(bindings) }]),
    result: [{ ...instance, launch_bindings: bindings }],
  },
  {
    name: 'instances.retrieve',
    call: (c) => c.instances.retrieve(USER, PLATFORM, INSTANCE, opts),
    method: 'GET',
    path: `/users/${USER}/platforms/${PLATFORM}/instances/${INSTANCE}`,
    reply: { ...instance, launch_bindings: JSON.stringify(bindings) },
    result: { ...instance, launch_bindings: bindings },
  },
  {
    name: 'instances.create',
    call: (c) => c.instances.create(USER, PLATFORM, { build_id: BUILD, launch_bindings: bindings }, opts),
    method: 'POST',
    path: `/users/${USER}/platforms/${PLATFORM}/instances`,
    body: { instance: { build_id: BUILD, launch_bindings: JSON.stringify(bindings), platform_id: PLATFORM, id: clientId } },
    status: 201,
    reply: { ...instance, launch_bindings: JSON.stringify(bindings) },
    result: { ...instance, launch_bindings: bindings },
  },
  {
    name: 'instances.update',
    call: (c) => c.instances.update(USER, PLATFORM, INSTANCE, { launch_bindings: { port: 8080 }, deployed_at: null }, opts),
    method: 'PATCH',
    path: `/users/${USER}/platforms/${PLATFORM}/instances/${INSTANCE}`,
    body: { instance: { launch_bindings: '{"port":8080}', deployed_at: null } },
    reply: { ...instance, launch_bindings: { port: 8080 } },
    result: { ...instance, launch_bindings: { port: 8080 } },
  },
  {
    name: 'instances.delete',
    call: (c) => c.instances.delete(USER, PLATFORM, INSTANCE, opts),
    method: 'DELETE',
    path: `/users/${USER}/platforms/${PLATFORM}/instances/${INSTANCE}`,
    reply: { ...instance, deployed_at: '2024-02-02T00:00:00.000Z' },
    result: { ...instance, deployed_at: '2024-02-02T00:00:00.000Z' },
  },

  // groups (delete is 204)
  {
    name: 'groups.list',
    call: (c) => c.groups.list({ role: ROLE, sort: 'name' }, opts),
    method: 'GET',
    path: '/groups',
    query: { role: ROLE, sort: 'name' },
    reply: envelope([group]),
    result: [group],
  },
  { name: 'groups.retrieve', call: (c) => c.groups.retrieve(GROUP, opts), method: 'GET', path: `/groups/${GROUP}`, reply: group, result: group },
  {
    name: 'groups.create',
    call: (c) => c.groups.create({ name: 'Cardiology', description: 'Cardiology department' }, opts),
    method: 'POST',
    path: '/groups',
    body: { group: { name: 'Cardiology', description: 'Cardiology department', id: clientId } },
    status: 201,
    reply: group,
    result: group,
  },
  {
    name: 'groups.update',
    call: (c) => c.groups.update(GROUP, { description: null }, opts),
    method: 'PATCH',
    path: `/groups/${GROUP}`,
    body: { group: { description: null } },
    reply: { ...group, description: null },
    result: { ...group, description: null },
  },
  { name: 'groups.delete', call: (c) => c.groups.delete(GROUP, opts), method: 'DELETE', path: `/groups/${GROUP}`, reply: null, status: 204, result: null },

  // members (group_id in the body; bare array; delete is 204)
  { name: 'members.list', call: (c) => c.members.list(GROUP, opts), method: 'GET', path: `/groups/${GROUP}/members`, reply: [member], result: [member] },
  {
    name: 'members.retrieve',
    call: (c) => c.members.retrieve(GROUP, MEMBER, opts),
    method: 'GET',
    path: `/groups/${GROUP}/members/${MEMBER}`,
    reply: member,
    result: member,
  },
  {
    name: 'members.create',
    call: (c) => c.members.create(GROUP, { user_id: USER }, opts),
    method: 'POST',
    path: `/groups/${GROUP}/members`,
    body: { member: { user_id: USER, group_id: GROUP, id: clientId } },
    status: 201,
    reply: member,
    result: member,
  },
  {
    name: 'members.update',
    call: (c) => c.members.update(GROUP, MEMBER, { user_id: ADMIN }, opts),
    method: 'PATCH',
    path: `/groups/${GROUP}/members/${MEMBER}`,
    body: { member: { user_id: ADMIN } },
    reply: { ...member, user_id: ADMIN },
    result: { ...member, user_id: ADMIN },
  },
  {
    name: 'members.delete',
    call: (c) => c.members.delete(GROUP, MEMBER, opts),
    method: 'DELETE',
    path: `/groups/${GROUP}/members/${MEMBER}`,
    reply: null,
    status: 204,
    result: null,
  },

  // roles (permissions: a JSON object on the wire, never a string)
  {
    name: 'roles.list',
    call: (c) => c.roles.list({ default: true, sort: 'name' }, opts),
    method: 'GET',
    path: '/roles',
    query: { default: 'true', sort: 'name' },
    reply: envelope([role]),
    result: [role],
  },
  {
    name: 'roles.retrieve',
    call: (c) => c.roles.retrieve(ROLE, opts),
    method: 'GET',
    path: `/roles/${ROLE}`,
    reply: { ...role, permissions: JSON.stringify(standardPermissions) },
    result: role,
  },
  {
    name: 'roles.create',
    call: (c) => c.roles.create({ name: 'Standard', description: 'Every new user', default: true, permissions: standardPermissions }, opts),
    method: 'POST',
    path: '/roles',
    body: { role: { name: 'Standard', description: 'Every new user', default: true, permissions: standardPermissions, id: clientId } },
    status: 201,
    reply: { ...role, permissions: JSON.stringify(standardPermissions) },
    result: role,
  },
  {
    name: 'roles.update',
    call: (c) => c.roles.update(ROLE, { permissions: { products: { create: true } } }, opts),
    method: 'PATCH',
    path: `/roles/${ROLE}`,
    body: { role: { permissions: { products: { create: true } } } },
    reply: role,
    result: role,
  },
  { name: 'roles.delete', call: (c) => c.roles.delete(ROLE, opts), method: 'DELETE', path: `/roles/${ROLE}`, reply: role, result: role },

  // appointments (role_id in the body; bare array; delete is 204)
  {
    name: 'appointments.list',
    call: (c) => c.appointments.list(ROLE, opts),
    method: 'GET',
    path: `/roles/${ROLE}/appointments`,
    reply: [appointment],
    result: [appointment],
  },
  {
    name: 'appointments.retrieve',
    call: (c) => c.appointments.retrieve(ROLE, APPOINTMENT, opts),
    method: 'GET',
    path: `/roles/${ROLE}/appointments/${APPOINTMENT}`,
    reply: appointment,
    result: appointment,
  },
  {
    name: 'appointments.create',
    call: (c) => c.appointments.create(ROLE, { entity_id: GROUP, entity_type: 'Group' }, opts),
    method: 'POST',
    path: `/roles/${ROLE}/appointments`,
    body: { appointment: { entity_id: GROUP, entity_type: 'Group', role_id: ROLE, id: clientId } },
    status: 201,
    reply: { ...appointment, entity_id: GROUP, entity_type: 'Group' },
    result: { ...appointment, entity_id: GROUP, entity_type: 'Group' },
  },
  {
    name: 'appointments.update',
    call: (c) => c.appointments.update(ROLE, APPOINTMENT, { entity_id: ADMIN, entity_type: 'User' }, opts),
    method: 'PATCH',
    path: `/roles/${ROLE}/appointments/${APPOINTMENT}`,
    body: { appointment: { entity_id: ADMIN, entity_type: 'User' } },
    reply: { ...appointment, entity_id: ADMIN },
    result: { ...appointment, entity_id: ADMIN },
  },
  {
    name: 'appointments.delete',
    call: (c) => c.appointments.delete(ROLE, APPOINTMENT, opts),
    method: 'DELETE',
    path: `/roles/${ROLE}/appointments/${APPOINTMENT}`,
    reply: null,
    status: 204,
    result: null,
  },

  // identity providers
  {
    name: 'identityProviders.list',
    call: (c) => c.identityProviders.list({ sort: 'issuer' }, opts),
    method: 'GET',
    path: '/identity_providers',
    query: { sort: 'issuer' },
    reply: envelope([{ ...idp, configuration: '{"authorization_endpoint":"https://idp.test/auth"}' }]),
    result: [{ ...idp, configuration: { authorization_endpoint: 'https://idp.test/auth' } }],
  },
  {
    name: 'identityProviders.retrieve',
    call: (c) => c.identityProviders.retrieve(IDP, opts),
    method: 'GET',
    path: `/identity_providers/${IDP}`,
    reply: idp,
    result: idp,
  },
  {
    name: 'identityProviders.create',
    call: (c) =>
      c.identityProviders.create(
        { name: 'Logica Health', issuer: idp.issuer, client_id: 'marketplace-server', client_secret: 'not-a-real-secret', scopes: 'openid email' },
        opts,
      ),
    method: 'POST',
    path: '/identity_providers',
    body: {
      identity_provider: {
        name: 'Logica Health',
        issuer: idp.issuer,
        client_id: 'marketplace-server',
        client_secret: 'not-a-real-secret',
        scopes: 'openid email',
        id: clientId,
      },
    },
    status: 201,
    reply: idp,
    result: idp,
  },
  {
    name: 'identityProviders.update',
    call: (c) => c.identityProviders.update(IDP, { alternate_client_id: 'marketplace-ui' }, opts),
    method: 'PATCH',
    path: `/identity_providers/${IDP}`,
    body: { identity_provider: { alternate_client_id: 'marketplace-ui' } },
    reply: { ...idp, alternate_client_id: 'marketplace-ui' },
    result: { ...idp, alternate_client_id: 'marketplace-ui' },
  },
  {
    name: 'identityProviders.delete',
    call: (c) => c.identityProviders.delete(IDP, opts),
    method: 'DELETE',
    path: `/identity_providers/${IDP}`,
    reply: idp,
    result: idp,
  },
  {
    name: 'identityProviders.enable',
    call: (c) => c.identityProviders.enable(IDP, opts),
    method: 'POST',
    path: `/identity_providers/${IDP}/enable`,
    reply: { ...idp, enabled_at: T1 },
    result: { ...idp, enabled_at: T1 },
  },
  {
    name: 'identityProviders.disable',
    call: (c) => c.identityProviders.disable(IDP, opts),
    method: 'POST',
    path: `/identity_providers/${IDP}/disable`,
    reply: idp,
    result: idp,
  },

  // session
  { name: 'session.status', call: (c) => c.session.status(opts), method: 'GET', path: '/status', reply: statusAdmin, result: statusAdmin },
  {
    name: 'session.whoami',
    call: (c) => c.session.whoami(opts),
    method: 'GET',
    path: '/status',
    reply: statusAdmin,
    result: { identity: statusAdmin.identity, user: adminUser, permissions: adminPermissions },
  },
  {
    name: 'session.logout',
    call: (c) => c.session.logout(opts),
    method: 'DELETE',
    path: '/sessions',
    reply: { message: 'Logged out.' },
    result: { message: 'Logged out.' },
  },
];

function answer(reply: unknown, status = 200) {
  return reply === null ? new HttpResponse(null, { status: 204 }) : HttpResponse.json(reply as object, { status });
}

describe('every method speaks the exact wire', () => {
  it.each(rows)('$name → $method $path', async (row) => {
    api.use(http.all(`${BASE_URL}/*`, () => answer(row.reply, row.status)));
    const result = await row.call(client());

    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req?.method).toBe(row.method);
    expect(req?.path).toBe(row.path);
    expect(req?.query).toEqual(row.query ?? {});
    expect(req?.body).toEqual(row.body ?? null);
    expect(req?.headers['x-hsp-test']).toBe('row');
    expect(req?.headers.accept).toBe('application/json');
    expect(result instanceof Page ? result.items : result).toEqual(row.result);
  });

  it('covers every public method of every class (redirectUrl has its own tests)', () => {
    const c = client();
    const covered = new Set([...rows.map((r) => r.name), 'identityProviders.redirectUrl']);
    const families = [
      'licenses', 'entitlements', 'claims', 'vouchers', 'attempts', 'interfaces', 'surrogates', 'users', 'identities',
      'platforms', 'instances', 'groups', 'members', 'roles', 'appointments', 'identityProviders', 'session',
    ] as const;
    const missing: string[] = [];
    for (const family of families) {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(c[family])).filter((m) => m !== 'constructor');
      expect(methods.length).toBeGreaterThan(0);
      for (const method of methods) if (!covered.has(`${family}.${method}`)) missing.push(`${family}.${method}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('deletes', () => {
  it('return null on 204 and the deleted record on 200, whatever the resource', async () => {
    api.use(
      http.delete(`${BASE_URL}/users/${USER}`, () => new HttpResponse(null, { status: 204 })),
      http.delete(`${BASE_URL}/groups/${GROUP}`, () => HttpResponse.json(group)),
    );
    await expect(client().users.delete(USER)).resolves.toBeNull();
    await expect(client().groups.delete(GROUP)).resolves.toEqual(group);
  });

  it('treat a 200 with an empty body as "nothing to show"', async () => {
    api.use(http.delete(`${BASE_URL}/roles/${ROLE}`, () => new HttpResponse('', { status: 200 })));
    await expect(client().roles.delete(ROLE)).resolves.toBeNull();
  });
});

describe('lists', () => {
  it('accept a bare array where the reference server paginates, and an envelope where it does not', async () => {
    api.use(
      http.get(`${BASE_URL}/users`, () => HttpResponse.json([user])),
      http.get(`${BASE_URL}/entitlements`, () => HttpResponse.json(envelope([entitlement], { total_entries: 31, total_pages: 2, next_page: 2 }))),
    );
    const users = await client().users.list();
    expect(users.items).toEqual([user]);
    expect(users.hasNextPage()).toBe(false);

    const entitlements = await client().entitlements.list();
    expect(entitlements.items).toEqual([entitlement]);
    expect(entitlements.totalEntries).toBe(31);
    expect(entitlements.hasNextPage()).toBe(true);
  });

  it('walk every page with for await, decoding JSON fields on each', async () => {
    const second = { ...instance, id: OTHER, launch_bindings: '{"n":2}' };
    api.use(
      http.get(`${BASE_URL}/users/${USER}/platforms/${PLATFORM}/instances`, ({ request }) => {
        const page = new URL(request.url).searchParams.get('page') ?? '1';
        return HttpResponse.json(
          page === '1'
            ? envelope([{ ...instance, launch_bindings: '{"n":1}' }], { total_pages: 2, next_page: 2, total_entries: 2 })
            : envelope([second], { total_pages: 2, current_page: 2, previous_page: 1, total_entries: 2 }),
        );
      }),
    );
    const seen: unknown[] = [];
    for await (const item of client().instances.list(USER, PLATFORM, { perPage: 1 })) seen.push(item.launch_bindings);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    expect(api.requests.map((r) => r.query)).toEqual([{ per_page: '1' }, { per_page: '1', page: '2' }]);
  });

  it('leave a malformed JSON field as the server sent it', async () => {
    api.use(http.get(`${BASE_URL}/users/${USER}/identities/${IDENTITY}`, () => HttpResponse.json({ ...identity, jwt: '{broken' })));
    const got = await client().identities.retrieve(USER, IDENTITY);
    expect(got.jwt).toBe('{broken');
  });
});

describe('session', () => {
  it('whoami() is null when the server sees the caller as anonymous (capture 001)', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(statusAnonymous)));
    await expect(client().session.whoami()).resolves.toBeNull();
    expect(api.requests).toHaveLength(1);
  });

  it('whoami() gives the identity, its user and the merged permissions when signed in (capture 002)', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(statusAdmin)));
    const me = await client().session.whoami();
    expect(me?.user.name).toBe('Alice Administrator');
    expect(me?.identity.provider).toEqual({ id: IDP, name: 'Logica Health' });
    expect(me?.permissions.everything?.manage).toBe(true);
    expect(me?.permissions.products?.read).toBe(true);
  });

  it('whoami() reports empty permissions when a server signs in but sends none', async () => {
    const { permissions: _omitted, ...noPermissions } = statusAdmin;
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(noPermissions)));
    const me = await client().session.whoami();
    expect(me?.permissions).toEqual({});
    expect(me?.user.id).toBe(ADMIN);
  });

  it('status() gives the anonymous shape without identity keys', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(statusAnonymous)));
    const status = await client().session.status();
    expect(status.product?.datetime).toBe('2026-11-26T06:27:21.962+00:00');
    expect(status.identity).toBeUndefined();
    expect(status.jwt).toBeUndefined();
  });

  it('keeps /status and /sessions on a Release 1 server, where status says `service`', async () => {
    const r1Status = { message: 'healthy', service: { datetime: '2019-01-29T00:00:00+00:00' }, database: { datetime: '2019-01-29T00:00:00+00:00' } };
    api.use(
      http.get(`${BASE_URL}/status`, () => HttpResponse.json(r1Status)),
      http.delete(`${BASE_URL}/sessions`, () => HttpResponse.json({ message: 'Logged out.' })),
    );
    const c = client('r1');
    const status = await c.session.status();
    // The dialect renames R1 keys in responses to the R2 names the SDK's types use.
    expect(status.product).toEqual({ datetime: '2019-01-29T00:00:00+00:00' });
    expect(status).not.toHaveProperty('service');
    await expect(c.session.logout()).resolves.toEqual({ message: 'Logged out.' });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /status', 'DELETE /sessions']);
  });
});

describe('Release 1 wire names', () => {
  it('renames product keys inside role permissions and attempt filters, not other paths', async () => {
    api.use(
      http.post(`${BASE_URL}/roles`, () => HttpResponse.json(role, { status: 201 })),
      http.get(`${BASE_URL}/attempts`, () => HttpResponse.json([])),
    );
    const c = client('r1');
    await c.roles.create({ name: 'Editors', permissions: { products: { create: true } } });
    await c.attempts.list({ product_id: PRODUCT });
    expect(api.requests[0]?.body).toEqual({ role: { name: 'Editors', permissions: { services: { create: true } }, id: clientId } });
    expect(api.requests[1]?.query).toEqual({ service_id: PRODUCT });
  });
});

describe('identityProviders.redirectUrl', () => {
  it('builds the absolute browser URL with the redirect_uri encoded, and makes no request', () => {
    const redirectUri = 'http://127.0.0.1:8765/callback?state=a b&x=1';
    const url = client().identityProviders.redirectUrl(IDP, { redirectUri });
    expect(url).toBe(`${BASE_URL}/identity_providers/${IDP}/redirect?redirect_uri=${encodeURIComponent(redirectUri)}`);
    expect(new URL(url).searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(api.requests).toHaveLength(0);
  });

  it('has no query without a redirect_uri and keeps a base URL path prefix', () => {
    const c = new Marketplace({ baseUrl: `${BASE_URL}/api/`, dialect: 'r2', maxRetries: 0 });
    expect(c.identityProviders.redirectUrl(IDP)).toBe(`${BASE_URL}/api/identity_providers/${IDP}/redirect`);
    expect(api.requests).toHaveLength(0);
  });

  it('rejects an id that is not a UUID', () => {
    expect(() => client().identityProviders.redirectUrl('../../admin')).toThrow(InvalidArgumentError);
  });
});

/** Runs a call that may throw synchronously or reject, as one promise. */
function run(call: () => unknown): Promise<unknown> {
  return Promise.resolve().then(call);
}

describe('arguments are checked before any request', () => {
  const c = client();
  const badIds: [string, string, () => unknown][] = [
    ['licenses.retrieve', 'licenseId', () => c.licenses.retrieve('MIT')],
    ['licenses.update', 'licenseId', () => c.licenses.update('', { name: 'x' })],
    ['entitlements.delete', 'entitlementId', () => c.entitlements.delete('12345')],
    ['entitlements.create user_id', 'user_id', () => c.entitlements.create({ user_id: 'alice', product_license_id: PRODUCT_LICENSE })],
    ['claims.list', 'entitlementId', () => c.claims.list('nope')],
    ['claims.retrieve', 'claimId', () => c.claims.retrieve(ENTITLEMENT, 'nope')],
    ['claims.create claimant_id', 'claimant_id', () => c.claims.create(ENTITLEMENT, { claimant_id: 'bob', claimant_type: 'User' })],
    ['vouchers.update', 'voucherId', () => c.vouchers.update('x', {})],
    ['vouchers.create product_license_id', 'product_license_id', () => c.vouchers.create({ product_license_id: 'pl', code: 'C' })],
    ['attempts.retrieve', 'attemptId', () => c.attempts.retrieve('1')],
    ['interfaces.delete', 'interfaceId', () => c.interfaces.delete('fhir')],
    ['surrogates.list', 'interfaceId', () => c.surrogates.list('fhir')],
    ['surrogates.create substitute_id', 'substitute_id', () => c.surrogates.create(INTERFACE, { substitute_id: 'stu3' })],
    ['users.retrieve', 'userId', () => c.users.retrieve('me')],
    ['identities.update', 'identityId', () => c.identities.update(USER, 'x', {})],
    ['identities.create identity_provider_id', 'identity_provider_id', () => c.identities.create(USER, { identity_provider_id: 'google', sub: 's' })],
    ['platforms.create', 'userId', () => c.platforms.create('someone', { name: 'p' })],
    ['platforms.delete', 'platformId', () => c.platforms.delete(USER, '../x')],
    ['instances.list', 'platformId', () => c.instances.list(USER, 'p')],
    ['instances.update', 'instanceId', () => c.instances.update(USER, PLATFORM, 'i', { deployed_at: null })],
    ['instances.create build_id', 'build_id', () => c.instances.create(USER, PLATFORM, { build_id: '1.0.2' })],
    ['groups.retrieve', 'groupId', () => c.groups.retrieve('admins')],
    ['members.create user_id', 'user_id', () => c.members.create(GROUP, { user_id: 'u' })],
    ['members.delete', 'memberId', () => c.members.delete(GROUP, 'm')],
    ['roles.update', 'roleId', () => c.roles.update('admin', { default: false })],
    ['appointments.list', 'roleId', () => c.appointments.list('admin')],
    ['appointments.create entity_id', 'entity_id', () => c.appointments.create(ROLE, { entity_id: 'me', entity_type: 'User' })],
    ['identityProviders.enable', 'identityProviderId', () => c.identityProviders.enable('google')],
    ['identityProviders.disable', 'identityProviderId', () => c.identityProviders.disable(`${IDP}/x`)],
    ['users.create client id', 'id', () => c.users.create({ name: 'x', id: 'my-id' })],
  ];

  it.each(badIds)('%s with a bad %s throws InvalidArgumentError', async (_name, argument, call) => {
    const error = await run(call).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect(api.requests).toHaveLength(0);
  });

  const blanks: [string, string, () => unknown][] = [
    ['licenses.create', 'name', () => c.licenses.create({ name: '  ', url: 'https://example.org/l' })],
    ['licenses.create', 'url', () => c.licenses.create({ name: 'L', url: '' })],
    ['interfaces.create', 'version', () => c.interfaces.create({ name: 'FHIR', uri: 'http://hl7.org/fhir', version: '' })],
    ['users.create', 'name', () => c.users.create({ name: '' })],
    ['identities.create', 'sub', () => c.identities.create(USER, { identity_provider_id: IDP, sub: ' ' })],
    ['platforms.create', 'name', () => c.platforms.create(USER, { name: '\t' })],
    ['groups.create', 'name', () => c.groups.create({ name: '' })],
    ['roles.create', 'name', () => c.roles.create({ name: ' ' })],
    ['vouchers.create', 'code', () => c.vouchers.create({ product_license_id: PRODUCT_LICENSE, code: '' })],
    ['identityProviders.create', 'client_secret', () => c.identityProviders.create({ name: 'G', issuer: 'https://g', client_id: 'c', client_secret: '' })],
    ['appointments.create', 'entity_type', () => c.appointments.create(ROLE, { entity_id: USER, entity_type: '' as 'User' })],
  ];

  it.each(blanks)('%s with a blank %s throws InvalidArgumentError', async (_name, field, call) => {
    const error = await run(call).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(field);
    expect(api.requests).toHaveLength(0);
  });

  it('refuses a licence expiry the server would answer with a 500, on create and update', async () => {
    await expect(
      run(() => c.licenses.create({ name: 'B', url: 'https://example.org/b', expiry: 'sometimes' as 'indefinite' })),
    ).rejects.toThrow(/expiry must be one of indefinite, relative_date, absolute_date/);
    await expect(run(() => c.licenses.update(LICENSE, { expiry: 'never' as 'indefinite' }))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(api.requests).toHaveLength(0);
  });

  it('refuses an appointment entity_type other than User or Group', async () => {
    await expect(run(() => c.appointments.create(ROLE, { entity_id: USER, entity_type: 'Robot' as 'User' }))).rejects.toThrow(
      'entity_type must be "User" or "Group", got "Robot".',
    );
    await expect(run(() => c.appointments.update(ROLE, APPOINTMENT, { entity_type: 'user' as 'User' }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(api.requests).toHaveLength(0);
  });

  it('refuses a create with no fields object at all', async () => {
    await expect(run(() => c.groups.create(undefined as unknown as { name: string }))).rejects.toThrow('groups.create needs an object of fields');
    await expect(run(() => c.members.create(GROUP, null as unknown as { user_id: string }))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(api.requests).toHaveLength(0);
  });
});

describe('client-chosen ids', () => {
  it('sends the caller id (normalised) instead of a random one, and parent ids in lower case', async () => {
    api.use(http.post(`${BASE_URL}/users/${USER}/platforms`, () => HttpResponse.json(platform, { status: 201 })));
    await client().platforms.create(USER.toUpperCase(), { name: 'Capture Platform', id: PLATFORM.toUpperCase() });
    expect(api.requests[0]?.path).toBe(`/users/${USER}/platforms`);
    expect(api.requests[0]?.body).toEqual({ platform: { name: 'Capture Platform', user_id: USER, id: PLATFORM } });
  });

  it('picks a fresh UUIDv4 for each create', async () => {
    api.use(http.post(`${BASE_URL}/groups`, () => HttpResponse.json(group, { status: 201 })));
    await client().groups.create({ name: 'A' });
    await client().groups.create({ name: 'B' });
    const ids = api.requests.map((r) => (r.body as { group: { id: string } }).group.id);
    expect(ids[0]).toMatch(UUID_V4);
    expect(ids[1]).toMatch(UUID_V4);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('reads the record back when a server answers a create with only its id', async () => {
    api.use(
      http.post(`${BASE_URL}/roles/${ROLE}/appointments`, () => new HttpResponse(null, { status: 201 })),
      http.get(`${BASE_URL}/roles/${ROLE}/appointments/:id`, ({ params }) => HttpResponse.json({ ...appointment, id: params.id })),
    );
    const created = await client().appointments.create(ROLE, { entity_id: USER, entity_type: 'User', id: APPOINTMENT });
    expect(created).toEqual(appointment);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /roles/${ROLE}/appointments`,
      `GET /roles/${ROLE}/appointments/${APPOINTMENT}`,
    ]);
  });
});
