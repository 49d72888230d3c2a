import { describe, expect, it } from 'vitest';
import type { Group, IdentityProvider, Interface, Role, User } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });

describe('hsp interfaces', () => {
  it('creates, lists and finds interfaces by name (their --version is theirs, not hsp --version)', async () => {
    const created = json<Interface>(await hsp(['interfaces', 'create', '--name', 'FHIR R4', '--uri', 'http://hl7.org/fhir/R4', '--version', '4.0.1', '--ordinal', '1', '--json'], { env: env() }));
    expect(created).toMatchObject({ version: '4.0.1', ordinal: 1 });
    const table = ok(await hsp(['interfaces', 'list', '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+NAME\s+VERSION\s+URI\n/);
    expect(table.stdout).toMatch(/FHIR R4\s+4\.0\.1\s+http:\/\/hl7\.org\/fhir\/R4\n/);
    const updated = json<Interface>(await hsp(['interfaces', 'update', 'FHIR R4', '--version', '4.0.2', '--json'], { env: env() }));
    expect(updated.version).toBe('4.0.2');
  });
});

describe('hsp users', () => {
  it('creates users, filters the list and finds them by name', async () => {
    const smith = json<User>(await hsp(['users', 'create', '--name', 'Dr. Smith', '--first-name', 'Jane', '--last-name', 'Smith', '--external-id', 'emp-1', '--json'], { env: env() }));
    ok(await hsp(['users', 'create', '--name', 'Nurse Jones'], { env: env() }));
    const table = ok(await hsp(['users', 'list', '--name', 'smith', '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+NAME\s+FULL NAME\s+EXTERNAL ID\s+UPDATED\n/);
    expect(table.stdout).toMatch(/Dr\. Smith\s+Jane Smith\s+emp-1\s+just now\n/);
    expect(table.stdout).not.toContain('Nurse Jones');
    const shown = json<User>(await hsp(['users', 'show', 'Dr. Smith', '--json'], { env: env() }));
    expect(shown.id).toBe(smith.id);
    const self = await hsp(['users', 'delete', 'Administrator', '--yes'], { env: env() });
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/failed with HTTP 403 .*delete yourself/);
  });
});

describe('hsp roles', () => {
  it('creates a role with --permissions JSON; a bad JSON value is one sentence', async () => {
    const role = json<Role>(await hsp(['roles', 'create', '--name', 'Publisher', '--permissions', '{"products": {"read": true, "publish": true}}', '--json'], { env: env() }));
    expect(role.permissions?.products).toMatchObject({ read: true, publish: true, delete: false });
    const bad = await hsp(['roles', 'update', 'Publisher', '--permissions', 'products.read'], { env: env() });
    expect(bad).toMatchObject({ code: 2, stderr: `--permissions must be JSON, e.g. '{"key":"value"}'.\n` });
    const refused = await hsp(['roles', 'update', 'Publisher', '--permissions', '{"products": {"raed": true}}'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('products.raed is not a permission');
    const defaults = json<Role[]>(await hsp(['roles', 'list', '--default', '--json'], { env: env() }));
    expect(defaults.map((r) => r.name)).toEqual(['Standard']);
  });

  it('an ordinary user may not grant themselves roles: exit 1 and a hint', async () => {
    const user = await m.user('Mallory');
    const denied = await hsp(['roles', 'create', '--name', 'Boss', '--permissions', '{"everything": {"manage": true}}'], { env: { HSP_URL: m.url, HSP_TOKEN: user.token } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/\nYour account lacks the role for this; ask an administrator\.\n$/);
  });
});

describe('hsp groups', () => {
  it('creates, renames and deletes a group by name', async () => {
    const group = json<Group>(await hsp(['groups', 'create', '--name', 'Cardiology', '--description', 'Heart', '--json'], { env: env() }));
    ok(await hsp(['groups', 'update', 'Cardiology', '--name', 'Cardiology and vascular'], { env: env() }));
    // The server answers this delete with 204: the CLI still prints one JSON object.
    const deleted = json(await hsp(['groups', 'delete', 'Cardiology and vascular', '--yes', '--json'], { env: env() }));
    expect(deleted).toEqual({ id: group.id, deleted: true });
  });
});

describe('hsp identity-providers', () => {
  it('creates a provider, enables and disables it by name', async () => {
    const provider = json<IdentityProvider>(
      await hsp(['identity-providers', 'create', '--name', 'Keycloak', '--issuer', 'https://id.example.org/realms/hsp', '--client-id', 'marketplace', '--client-secret', 'shh', '--json'], { env: env() }),
    );
    expect(provider.enabled_at).toMatch(/^\d{4}-/);
    json(await hsp(['identity-providers', 'disable', 'Keycloak', '--json'], { env: env() }));
    const enabled = ok(await hsp(['identity-providers', 'enable', 'Keycloak'], { env: env() }));
    expect(enabled).toMatchObject({ stdout: '', stderr: '✓ Enabled identity provider "Keycloak"\n' });
    const table = ok(await hsp(['identity-providers', 'list', '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ISSUER\s+ENABLED\n/);
    expect(table.stdout).toMatch(/Keycloak\s+https:\/\/id\.example\.org\/realms\/hsp\s+just now\n/);
    expect(table.stderr).toBe('1 identity provider\n');
    const disabled = json<IdentityProvider>(await hsp(['identity-providers', 'disable', provider.id, '--json'], { env: env() }));
    expect(disabled.enabled_at).toBeNull();
    const badIssuer = await hsp(['identity-providers', 'update', 'Keycloak', '--issuer', 'not a url'], { env: env() });
    expect(badIssuer.code).toBe(1);
    expect(badIssuer.stderr).toContain('issuer must be the http(s) URL of an OpenID Connect issuer');
  });
});
