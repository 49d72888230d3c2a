/**
 * `hsp publish` of a large manifest (20 configurations of 5 tasks each, 10 exposures, 10
 * dependencies) through a loopback proxy that holds every request for 20 ms, as a distant
 * marketplace would: the apply time with `--concurrency 4` against `--concurrency 1`, side by
 * side in alternating rounds (each run publishes a new product, so every run creates the same
 * 142 records), and the requests a re-run with nothing to change makes (target: reads only).
 *
 * The apply time is measured at the proxy: from the first write request arriving to the last
 * answer leaving, so neither the CLI's start-up nor the reads of the plan are in it. The CLI
 * runs as a child process (`bin/hsp`, from dist/); the server (PGlite in memory) runs in a
 * worker thread, so that its database work never delays the proxy's timers on this thread.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, round, startMarketplaceWorker, target } from './lib.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const hsp = join(root, 'bin', 'hsp');
const LATENCY_MS = 20;
const ROUNDS = Number(process.env.HSP_BENCH_PUBLISH_ROUNDS ?? 3);
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** @param {{ log: (message: string) => void }} ctx */
export default async function runBench(ctx) {
  const server = await startMarketplaceWorker();
  const proxy = await latencyProxy(server.url, LATENCY_MS);
  const scratch = await mkdtemp(join(tmpdir(), 'hsp-bench-publish-'));
  const env = { ...process.env, HSP_URL: proxy.url, HSP_TOKEN: server.adminToken, HSP_CONFIG_DIR: scratch, HSP_NO_KEYRING: '1' };
  let runs = 0;

  /** Publishes a new product at this concurrency; resolves to the apply window in ms. */
  const publishNew = async (concurrency) => {
    const file = join(scratch, `run-${++runs}.yaml`);
    await writeFile(file, largeManifest(`Bench product ${runs}`));
    proxy.reset();
    await run(process.execPath, [hsp, 'publish', '--no-resolve', file, '--concurrency', String(concurrency), '--json'], { env, cwd: scratch, maxBuffer: 16 * 2 ** 20 });
    return { ms: proxy.applyWindowMs(), file };
  };

  try {
    // The first run creates the shared interfaces; later runs find them, so all create alike.
    ctx.log('publish: warm-up run');
    await publishNew(4);
    const sequential = [];
    const parallel = [];
    let last = '';
    for (let round = 0; round < ROUNDS; round++) {
      ctx.log(`publish: round ${round + 1} of ${ROUNDS}`);
      // Alternate which goes first, as lib.mjs's interleave does.
      const order = round % 2 ? [4, 1] : [1, 4];
      for (const concurrency of order) {
        const { ms, file } = await publishNew(concurrency);
        (concurrency === 1 ? sequential : parallel).push(ms);
        last = file;
      }
    }
    const speedup = median(sequential.map((ms, i) => ms / parallel[i]));

    ctx.log('publish: re-run with nothing to change');
    proxy.reset();
    await run(process.execPath, [hsp, 'publish', '--no-resolve', last, '--json'], { env, cwd: scratch, maxBuffer: 16 * 2 ** 20 });
    const counts = proxy.counts();
    const writes = Object.entries(counts).reduce((n, [method, count]) => n + (WRITES.has(method) ? count : 0), 0);
    const reads = (counts.GET ?? 0) + (counts.HEAD ?? 0);

    return [
      { figure: `apply with --concurrency 1, ${LATENCY_MS} ms per request (142 creates)`, value: round(median(sequential), 0), unit: 'ms' },
      { figure: `apply with --concurrency 4, ${LATENCY_MS} ms per request (142 creates)`, value: round(median(parallel), 0), unit: 'ms' },
      { figure: 'apply time: concurrency 1 / concurrency 4', ratio: round(speedup), ...target(round(speedup), '>=', 3) },
      { figure: 'no-change re-run: write requests', value: writes, ...target(writes, '<=', 0) },
      { figure: `no-change re-run: read requests (GET ${counts.GET ?? 0}, HEAD ${counts.HEAD ?? 0})`, value: reads },
    ];
  } finally {
    await proxy.close();
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** An hsp.yaml with 20 configurations of 5 tasks, 10 exposures and 10 dependencies. */
function largeManifest(name) {
  const lines = ['product:', `  name: ${name}`, '  description: A product with many parts.', 'build:', '  version: 1.0.0', '  image: example/bench:1.0.0', '  configurations:'];
  for (let c = 0; c < 20; c++) {
    lines.push(`    - name: configuration-${c}`, ...(c === 0 ? ['      default: true'] : []), '      tasks:');
    for (let t = 0; t < 5; t++) lines.push(`        - name: task-${t}`, `          ports: [${8000 + t}]`, '          memory: { maximum: 256 }');
  }
  const uses = (kind, count) => Array.from({ length: count }, (_, i) => `    - interface: { name: "Bench ${kind} ${i}", uri: "https://example.com/bench/${kind}/${i}", version: "1" }`);
  lines.push('  exposures:', ...uses('exposure', 10), '  dependencies:', ...uses('dependency', 10));
  return `${lines.join('\n')}\n`;
}

/**
 * A reverse proxy that holds each request for `delayMs` before passing it on, counting
 * requests by method and noting when the first write arrived and the last answer left.
 */
async function latencyProxy(target, delayMs) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const upstream = new URL(target);
  let counts = {};
  let firstWrite;
  let lastAnswer = 0;
  const proxy = createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1;
    if (WRITES.has(req.method) && firstWrite === undefined) firstWrite = performance.now();
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      setTimeout(() => {
        const forward = request(
          { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('end', () => {
              lastAnswer = performance.now();
            });
          },
        );
        forward.on('error', () => {
          res.writeHead(502).end();
        });
        forward.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  proxy.keepAliveTimeout = 60_000;
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    reset() {
      counts = {};
      firstWrite = undefined;
      lastAnswer = 0;
    },
    counts: () => ({ ...counts }),
    applyWindowMs() {
      if (firstWrite === undefined) throw new Error('The publish made no write request.');
      return lastAnswer - firstWrite;
    },
    async close() {
      proxy.closeAllConnections();
      proxy.close();
      agent.destroy();
    },
  };
}
