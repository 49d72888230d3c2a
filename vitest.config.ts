import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Four projects:
 * - `unit`: everything outside test/integration (SDK, resources, the built package).
 * - `integration-pglite`: the integration suite on the embedded database.
 * - `integration-postgres`: the same files again on a real PostgreSQL server, when
 *   HSP_TEST_DATABASE_URL names one (`.ci/run` starts one and sets it). Each test file then
 *   gets a scratch database of its own on that server (test/helpers/marketplace.ts).
 * - `containers`: images and containers on a real Docker Engine (test/integration/container),
 *   run once: they take minutes, and their database is whichever the test picks
 *   (HSP_TEST_DATABASE_URL is passed on when set).
 */
// Vitest evaluates this file more than once in its process (the root, then each project), so
// the URL is kept on globalThis: after the first evaluation it is gone from process.env.
const shared = globalThis as { hspPostgresUrl?: string | null; hspSkipNoted?: boolean };
shared.hspPostgresUrl ??= process.env.HSP_TEST_DATABASE_URL || null;
const postgresUrl = shared.hspPostgresUrl;
// Taken out of the environment the test workers inherit, so that only the postgres project
// sees it: the PGlite project must really run on PGlite even when the URL is set.
delete process.env.HSP_TEST_DATABASE_URL;

if (!postgresUrl && !shared.hspSkipNoted) {
  shared.hspSkipNoted = true;
  console.log('integration-postgres: skipped (set HSP_TEST_DATABASE_URL=postgres://… to run the integration suite on PostgreSQL too)');
}

const integration = ['test/integration/**/*.test.ts'];
const containers = ['test/integration/container/**/*.test.ts'];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration files mostly wait on their server and database, so more forks than cores
    // keep both cores busy (vitest's default on 2 cores would be a single fork).
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: integration },
      },
      {
        extends: true,
        test: { name: 'integration-pglite', include: integration, exclude: containers },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: { name: 'integration-postgres', include: integration, exclude: containers, env: { HSP_TEST_DATABASE_URL: postgresUrl } },
            },
          ]
        : []),
      {
        extends: true,
        test: { name: 'containers', include: containers, env: postgresUrl ? { HSP_TEST_DATABASE_URL: postgresUrl } : {} },
      },
    ],
  },
});
