/**
 * `hsp demo --keep`: after its steps the marketplace, the agent and the Marketplace UI keep
 * running until Ctrl+C, and it says where to click: the demo platform's page in the UI and the
 * sign-in page, with the token left in its file (never in a URL). What a newcomer then does by
 * clicking (create an instance) is deployed by the agent that kept running.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { Marketplace } from '../../../src/index.js';
import { repoRoot, spawnHsp } from '../../helpers/hsp-process.js';
import { onceOnPGlite } from '../../helpers/skips.js';

const uiBuilt = existsSync(join(repoRoot, 'dist', 'ui', 'index.html'));

onceOnPGlite.describe('hsp demo --keep', () => {
  it('keeps everything running, prints the UI address of the platform, and Ctrl+C removes it all', { timeout: 120_000 }, async () => {
    const demo = spawnHsp(['demo', '--keep']);
    try {
      let stderr = '';
      for (const started = Date.now(); !/Ctrl\+C stops both\.\n[\s\S]*\.\n$/.test((stderr = demo.output().stderr)); ) {
        if (demo.child.exitCode !== null) throw new Error(`hsp demo --keep ended early:\n${demo.output().stdout}${stderr}`);
        if (Date.now() - started > 100_000) throw new Error(`hsp demo --keep printed no directions:\n${demo.output().stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const [, url, tokenFile] = stderr.match(/^The marketplace keeps running at (http:\/\/127\.0\.0\.1:\d+) .*; administrator token in (.+)\. Ctrl\+C stops both\.$/m)!;
      const token = (await readFile(tokenFile!, 'utf8')).trim();
      const admin = new Marketplace({ baseUrl: url!, token, dialect: 'r2' });
      const me = (await admin.session.whoami())!.user!;
      const [platform] = (await admin.platforms.list(me.id)).items;
      expect(platform!.name).toBe('demo-host');

      if (uiBuilt) {
        expect(stderr).toContain(`\nMarketplace UI: ${url}/ui/platforms/${platform!.id}  (the demo's platform; deploy a product from ${url}/ui/)\n`);
        expect(stderr).toContain(`Sign in at ${url}/ui/sign-in with the administrator token: paste the contents of ${tokenFile}.\n`);
        expect(stderr).not.toContain(token);
        const page = await fetch(`${url}/ui/platforms/${platform!.id}`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      } else {
        expect(stderr).toMatch(/The Marketplace UI is not served: .*index\.html is missing/);
      }

      // What the Deploy button does: the agent, still running, deploys it and reports.
      const product = (await admin.products.list({ perPage: 100 }).toArray()).find((p) => p.name === 'Pediatric Growth Chart')!;
      const [build] = (await admin.builds.list(product.id)).items;
      const environment = { OPENTELEMETRY_COLLECTOR_URL: 'http://127.0.0.1:4318', CLIENT_ID: 'clicked' };
      const instance = await admin.instances.create(me.id, platform!.id, { build_id: build!.id, launch_bindings: { environment } });
      for (const started = Date.now(); !(await admin.instances.retrieve(me.id, platform!.id, instance.id)).deployed_at; ) {
        if (Date.now() - started > 20_000) throw new Error('The kept agent did not deploy the new instance.');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      demo.child.kill('SIGINT');
      const run = await demo.exited;
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(dirname(tokenFile!))).toBe(false);
      await expect(fetch(`${url}/status`)).rejects.toThrow();
    } finally {
      demo.child.kill('SIGKILL');
    }
  });
});
