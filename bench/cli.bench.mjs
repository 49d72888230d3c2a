/**
 * CLI start-up, as a user feels it: wall time of whole processes, each beside its baseline in
 * interleaved rounds. `hsp --version` and `hsp --help` against `node -e 0`, and
 * `hsp products list --json` against a plain Node script making the same request.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createMarketplaceServer } from '../dist/server/index.js';
import { interleave, medianRatio, round, target } from './lib.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const hsp = join(root, 'bin', 'hsp');
const ROUNDS = Number(process.env.HSP_BENCH_CLI_ROUNDS ?? 15);

/** @param {{ log: (message: string) => void }} ctx */
export default async function runBench(ctx) {
  const server = await createMarketplaceServer({ port: 0, memory: true });
  const scratch = await mkdtemp(join(tmpdir(), 'hsp-bench-cli-'));
  try {
    const plain = join(scratch, 'plain.mjs');
    // What a user would write by hand: one fetch, print the JSON.
    await writeFile(plain, `const res = await fetch(process.env.HSP_URL + '/products?per_page=30', { headers: { accept: 'application/json' } });\nconst body = await res.json();\nprocess.stdout.write(JSON.stringify(body.results) + '\\n');\n`);
    const env = { ...process.env, HSP_URL: server.url, HSP_TOKEN: '', HSP_NO_KEYRING: '1', XDG_CONFIG_HOME: scratch };
    const node = (args) => () => run(process.execPath, args, { env, cwd: root });

    ctx.log(`cli: ${ROUNDS} rounds of whole-process runs`);
    const samples = await interleave(
      {
        nodeOnly: node(['-e', '0']),
        version: node([hsp, '--version']),
        help: node([hsp, '--help']),
        plainList: node([plain]),
        hspList: node([hsp, 'products', 'list', '--json']),
      },
      { warmup: 2, rounds: ROUNDS },
    );
    const version = medianRatio(samples.version, samples.nodeOnly);
    const help = medianRatio(samples.help, samples.nodeOnly);
    const list = medianRatio(samples.hspList, samples.plainList);
    return [
      // The targets: the version within 1.2×, the program's help within 1.5× of Node alone.
      { figure: 'hsp --version / node -e 0 (wall time)', ratio: round(version), ...target(round(version), '<=', 1.2) },
      { figure: 'hsp --help / node -e 0 (wall time)', ratio: round(help), ...target(round(help), '<=', 1.5) },
      { figure: 'hsp products list --json / plain fetch script (wall time)', ratio: round(list), ...target(round(list), '<=', 1.5) },
    ];
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await server.close();
  }
}
