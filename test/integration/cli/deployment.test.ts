import { beforeAll, describe, expect, it } from 'vitest';
import type { Instance, Platform } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const admin = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
let operator: TestUser;
const asOperator = () => ({ HSP_URL: m.url, HSP_TOKEN: operator.token });

beforeAll(async () => {
  operator = await m.user('Olga Operator');
  const product = await m.admin.products.create({ name: 'Deployable' });
  await m.admin.builds.create(product.id, { version: '1.0.0' });
  await m.admin.products.publish(product.id);
});

describe('hsp platforms', () => {
  it("are the signed-in user's own by default, found by name", async () => {
    const created = json<Platform>(await hsp(['platforms', 'create', '--name', 'lab', '--public-key', 'ssh-ed25519 AAAA agent', '--json'], { env: asOperator() }));
    expect(created).toMatchObject({ name: 'lab', user_id: operator.id });
    const table = ok(await hsp(['platforms', 'list', '--no-color'], { env: asOperator(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+NAME\s+AGENT KEY\s+UPDATED\n/);
    expect(table.stdout).toMatch(/lab\s+yes\s+just now\n/);
    const renamed = json<Platform>(await hsp(['platforms', 'update', 'lab', '--name', 'lab-1', '--json'], { env: asOperator() }));
    expect(renamed.id).toBe(created.id);
    ok(await hsp(['platforms', 'update', 'lab-1', '--name', 'lab'], { env: asOperator() }));
  });

  it("administrators name another user's platforms with --user", async () => {
    const theirs = json<Platform[]>(await hsp(['platforms', 'list', '--user', 'Olga Operator', '--json'], { env: admin() }));
    expect(theirs.map((p) => p.name)).toEqual(['lab']);
    expect(json<Platform[]>(await hsp(['platforms', 'list', '--json'], { env: admin() }))).toEqual([]);
    const shown = json<Platform>(await hsp(['platforms', 'show', 'lab', '--user', operator.id, '--json'], { env: admin() }));
    expect(shown.user_id).toBe(operator.id);
    const nobody = await hsp(['platforms', 'list', '--user', 'Nobody'], { env: admin() });
    expect(nobody).toMatchObject({ code: 1, stderr: 'No user named "Nobody".\n' });
  });

  it('need a signed-in user: exit 4 with a hint', async () => {
    const anonymous = await hsp(['platforms', 'list'], { env: { HSP_URL: m.url } });
    expect(anonymous).toMatchObject({ code: 4, stderr: 'You are not signed in: run "hsp login", or set HSP_TOKEN.\n' });
  });
});

describe('hsp instances', () => {
  it('deploys a build on a platform with launch bindings, lists, shows and undeploys it', async () => {
    const where = ['--platform', 'lab'];
    const deployed = json<Instance>(
      await hsp(['instances', 'deploy', ...where, '--product', 'Deployable', '--build', '1.0.0', '--set', 'FHIR_BASE_URL=https://fhir.example.org/r4', '--set', 'PORT=8080', '--set', 'EMPTY=', '--json'], {
        env: asOperator(),
      }),
    );
    expect(deployed.launch_bindings).toEqual({ environment: { FHIR_BASE_URL: 'https://fhir.example.org/r4', PORT: '8080', EMPTY: '' } });
    const human = ok(await hsp(['instances', 'deploy', ...where, '--product', 'Deployable', '--build', '1.0.0'], { env: asOperator() }));
    expect(human.stderr).toBe('✓ Deployed build 1.0.0 of Deployable on platform lab\n');
    expect(human.stdout).toMatch(/^id\t[0-9a-f-]{36}\nbuild id\t/);

    const table = ok(await hsp(['instances', 'list', ...where, '--no-color'], { env: asOperator(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+BUILD ID\s+ENVIRONMENT\s+DEPLOYMENT\s+DEPLOYED\s+CREATED\n/);
    expect(table.stderr).toBe('2 instances\n');
    const shown = json<Instance>(await hsp(['instances', 'show', deployed.id, ...where, '--json'], { env: asOperator() }));
    expect(shown.build_id).toBe(deployed.build_id);

    const badSet = await hsp(['instances', 'deploy', ...where, '--product', 'Deployable', '--build', '1.0.0', '--set', 'PORT'], { env: asOperator() });
    expect(badSet).toMatchObject({ code: 2, stderr: '--set must be KEY=VALUE, got "PORT".\n' });
    const noBuild = await hsp(['instances', 'deploy', ...where, '--product', 'Deployable', '--build', '9'], { env: asOperator() });
    expect(noBuild).toMatchObject({ code: 1, stderr: 'No build with version "9".\n' });
    const noPlatform = await hsp(['instances', 'list', '--platform', 'prod'], { env: asOperator() });
    expect(noPlatform).toMatchObject({ code: 1, stderr: 'No platform named "prod".\n' });

    const unconfirmed = await hsp(['instances', 'undeploy', deployed.id, ...where], { env: asOperator() });
    expect(unconfirmed).toMatchObject({ code: 2, stderr: `Undeploy instance ${deployed.id}: pass --yes to confirm when not at a terminal.\n` });
    const undeployed = ok(await hsp(['instances', 'undeploy', deployed.id, ...where, '--yes'], { env: asOperator() }));
    expect(undeployed.stderr).toBe(`✓ Undeployed instance ${deployed.id}\n`);
    expect(json<Instance[]>(await hsp(['instances', 'list', ...where, '--json'], { env: asOperator() }))).toHaveLength(1);
    const noCreate = await hsp(['instances', 'create'], { env: asOperator() });
    expect(noCreate.code).toBe(2);
  });
});
