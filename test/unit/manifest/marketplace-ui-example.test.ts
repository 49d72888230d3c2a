/**
 * examples/marketplace-ui: the Marketplace UI as a product of the marketplace (the spec's
 * "self-distributing" UI). Its manifest loads strictly without warnings; its image is the static
 * server the Dockerfile beside it builds from dist/ui; and the start-up script that points the
 * UI at its marketplace writes config.json only for an http(s) address.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/manifest/load.js';

const example = fileURLToPath(new URL('../../../examples/marketplace-ui/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hsp-ui-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('examples/marketplace-ui', () => {
  it('loads with no warnings, also with --strict: an image serving HTML on one port, pointed at its marketplace by MARKETPLACE_URL', async () => {
    for (const strict of [false, true]) {
      const { manifest, warnings } = await loadManifest(`${example}hsp.yaml`, { strict });
      expect(warnings).toEqual([]);
      expect(manifest.product).toMatchObject({ id: '8c1e2f4a-3b5d-4e6f-9a7b-0c1d2e3f4a5b', name: 'HSP Marketplace UI', mimeType: 'text/html' });
      expect(manifest.build.image).toEqual({ repository: 'registry.example.org/hsp/marketplace-ui', tag: '0.1.0' });
      const [web] = manifest.build.configurations[0]!.tasks;
      expect(web!.ports).toEqual([8080]);
      expect(web!.environment.map((v) => v.key)).toEqual(['MARKETPLACE_URL']);
      // The UI talks to a marketplace anywhere a browser reaches: wanted, not required on the platform.
      expect(manifest.build.dependencies).toEqual([{ interface: { name: 'HSP Marketplace API', uri: 'https://hl7.org/hsp/marketplace-api', version: '2.0' }, required: false }]);
    }
  });

  it('the Dockerfile serves the build folder on the port the task declares, and runs the config script at start', () => {
    const dockerfile = readFileSync(`${example}Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/^COPY dist\/ui \/usr\/share\/nginx\/html$/m);
    expect(dockerfile).toMatch(/^COPY examples\/marketplace-ui\/write-config\.sh \/docker-entrypoint\.d\/\S+\.sh$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(readFileSync(`${example}nginx.conf`, 'utf8')).toMatch(/listen 8080;[\s\S]*try_files \$uri \/index\.html;/);
  });

  it.each([
    { url: '', written: { marketplaceUrl: '' } },
    { url: 'https://marketplace.example.org', written: { marketplaceUrl: 'https://marketplace.example.org' } },
  ])('MARKETPLACE_URL="$url" is written to config.json', ({ url, written }) => {
    const file = join(scratch, `config-${written.marketplaceUrl.length}.json`);
    const run = spawnSync('sh', [`${example}write-config.sh`], { env: { PATH: process.env.PATH, MARKETPLACE_URL: url, MARKETPLACE_UI_CONFIG: file }, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(written);
  });

  it.each([
    { url: 'javascript:alert(1)', says: 'MARKETPLACE_URL must be an http or https address, not "javascript:alert(1)".' },
    { url: 'https://x.example.org/"}', says: 'MARKETPLACE_URL may not hold a quote, a backslash or a control character.' },
    { url: 'https://x.example.org/\nfoo', says: 'MARKETPLACE_URL may not hold a quote, a backslash or a control character.' },
  ])('MARKETPLACE_URL="$url" stops the container with one sentence, writing nothing', ({ url, says }) => {
    const file = join(scratch, 'refused.json');
    const run = spawnSync('sh', [`${example}write-config.sh`], { env: { PATH: process.env.PATH, MARKETPLACE_URL: url, MARKETPLACE_UI_CONFIG: file }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`${says}\n`);
    expect(() => readFileSync(file)).toThrow();
  });
});
