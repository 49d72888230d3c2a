/**
 * Telemetry costs nothing when it is off: without OTEL_EXPORTER_OTLP_ENDPOINT, neither the CLI's
 * quick answers nor `hsp serve` answering requests import a single OpenTelemetry module (the
 * built bin/hsp in a child process, with a resolve hook logging what it imports). The same
 * server with the variable set does import them: the log would see them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { moduleLog } from '../../helpers/module-log.js';
import { startFakeCollector, type FakeCollector } from '../../helpers/otlp-collector.js';

let scratch: string;
let collector: FakeCollector;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hsp-telemetry-lazy-'));
  collector = await startFakeCollector();
});
afterAll(async () => {
  await collector.close();
  await rm(scratch, { recursive: true, force: true });
});

const openTelemetry = (urls: string[]) => urls.filter((url) => url.includes('@opentelemetry'));

describe('without OTEL_EXPORTER_OTLP_ENDPOINT no OpenTelemetry module is loaded', () => {
  it.each([[['--version']], [['--help']], [['agent', 'listen', '--help']]])('hsp %j', async (args) => {
    const modules = await moduleLog(await mkdtemp(join(scratch, 'cli-')));
    const run = await spawnHsp(args, { env: modules.env }).exited;
    expect(run.code).toBe(0);
    const loaded = await modules.loaded();
    // The hook saw the CLI load: an empty log would prove nothing.
    expect(loaded.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(openTelemetry(loaded)).toEqual([]);
  });

  /** `hsp serve --memory` answering two requests, then stopped; the modules it imported. */
  async function serveAndStop(env: Record<string, string>): Promise<string[]> {
    const modules = await moduleLog(await mkdtemp(join(scratch, 'serve-')));
    const server = spawnHsp(['serve', '--memory', '--port', '0'], { env: { TMPDIR: scratch, ...env, ...modules.env } });
    try {
      const [, url] = await server.waitFor(/^Marketplace listening at (\S+) /m);
      expect((await fetch(`${url}/status`)).status).toBe(200);
      expect((await fetch(`${url}/products`, { headers: { accept: 'application/json' } })).status).toBe(200);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
    return modules.loaded();
  }

  it('hsp serve, serving requests and stopping', { timeout: 60_000 }, async () => {
    const loaded = await serveAndStop({});
    expect(loaded.some((url) => url.includes('fastify'))).toBe(true);
    expect(openTelemetry(loaded)).toEqual([]);
  });

  it('and with the variable set, the same server does load the SDK', { timeout: 60_000 }, async () => {
    const loaded = await serveAndStop({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    expect(openTelemetry(loaded).join('\n')).toMatch(/@opentelemetry\/sdk-trace-base/);
  });
});
