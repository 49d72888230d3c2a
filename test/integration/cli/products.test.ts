import { describe, expect, it } from 'vitest';
import { hsp } from '../../helpers/cli.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });

describe('hsp products', () => {
  it('creates, lists, shows by name, updates and deletes', async () => {
    const created = await hsp(['products', 'create', '--name', 'CLI App', '--mime-type', 'application/vnd.docker+smart', '--json'], { env: env() });
    expect(created.code).toBe(0);
    const product = JSON.parse(created.stdout) as { id: string; name: string };
    expect(product.name).toBe('CLI App');

    const listed = await hsp(['products', 'list', '--json'], { env: env() });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((p) => p.name)).toContain('CLI App');
    expect(listed.stderr).toBe('');

    const shown = await hsp(['services', 'show', 'CLI App'], { env: env() });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`id\t${product.id}`);

    const table = await hsp(['products', 'list', '--no-color'], { env: env(), tty: true });
    expect(table.stdout).toMatch(/^ID\s+NAME\s+MIME TYPE\s+PUBLISHED\s+UPDATED\n/);
    expect(table.stdout).toMatch(/CLI App\s+application\/vnd\.docker\+smart\s+\s+just now/);
    expect(table.stderr).toMatch(/^1 product$/m);

    const updated = await hsp(['products', 'update', 'CLI App', '--description', 'better'], { env: env() });
    expect(updated.code).toBe(0);
    expect(updated.stderr).toContain('Updated product "CLI App"');

    const refused = await hsp(['products', 'delete', 'CLI App'], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('Delete product CLI App: pass --yes to confirm when not at a terminal.\n');

    const deleted = await hsp(['products', 'delete', 'CLI App', '--yes'], { env: env() });
    expect(deleted.code).toBe(0);
  });

  it('exit codes: 2 for usage, 4 without credentials, 1 for failures', async () => {
    const typo = await hsp(['products', 'lst'], { env: env() });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("Unknown command 'lst'. Did you mean one of list, ls?\n");
    expect((await hsp(['products', 'list', '--limit', 'x'], { env: env() })).code).toBe(2);
    const noUrl = await hsp(['products', 'list'], { env: {} });
    expect(noUrl.code).toBe(4);
    expect(noUrl.stderr).toBe('No marketplace selected: pass --url, set HSP_URL, or run "hsp login".\n');
    const anonymous = await hsp(['products', 'create', '--name', 'x'], { env: { HSP_URL: m.url } });
    expect(anonymous.code).toBe(4);
    // Not found is exit 1, by name as by id (a 404): the command line was right.
    const missing = await hsp(['products', 'show', 'No such product'], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('No product named "No such product".\n');
  });
});
