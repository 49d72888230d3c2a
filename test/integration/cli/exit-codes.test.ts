/**
 * One meaning per exit code, as a script sees it: the built bin/hsp in a child process, each
 * case with its code and its one sentence on stderr.
 *
 *   0    done (help asked for, by --help, by `hsp help`, or by naming a group alone)
 *   1    failed: the world is not as the command needs (no such record, by name or by id; no
 *        such file; no manifest here; a file that may not be replaced)
 *   2    usage: the command line cannot be right (unknown command or flag, missing or malformed
 *        argument, flags that exclude each other)
 *   4    sign-in needed
 *   130  interrupted: Ctrl+C ends hsp by SIGINT, which a shell reports as 128 + 2
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/hsp-process.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();
const scratch = mkdtempSync(join(tmpdir(), 'hsp-exit-codes-'));
const empty = mkdtempSync(join(scratch, 'empty-'));
const taken = join(scratch, 'taken.yaml');
writeFileSync(taken, 'somebody else’s file\n');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const bin = join(repoRoot, 'bin', 'hsp');
const spec = join(repoRoot, 'examples/bilirubin-chart/marketplace.json');
const NIL = '00000000-0000-4000-8000-000000000000';

type Who = 'nobody' | 'anonymous' | 'admin' | 'refused';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The child's environment: none of the machine's hsp settings, a config folder of its own. */
function environment(who: Who): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(HSP_|DATABASE_URL$|PORT$|HOST$|CI$)/.test(key)) env[key] = value;
  Object.assign(env, { HSP_CONFIG_DIR: join(scratch, 'config'), HSP_NO_KEYRING: '1', NO_COLOR: '1' });
  if (who !== 'nobody') env.HSP_URL = m.url;
  if (who === 'admin') env.HSP_TOKEN = m.server.adminToken;
  if (who === 'refused') env.HSP_TOKEN = 'not-a-token';
  return env;
}

function start(args: string[], who: Who, cwd = empty) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: environment(who), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

const hsp = (args: string[], who: Who = 'admin', cwd?: string) => start(args, who, cwd).exited;

interface Case {
  args: string[];
  who?: Who;
  code: number;
  /** All of stderr: one sentence, one line. */
  stderr: string;
}

const cases: Record<string, Case> = {
  // 1: what the command found in the world.
  'a product named that does not exist': { args: ['products', 'show', 'No such product'], code: 1, stderr: 'No product named "No such product".' },
  'a product id that does not exist': {
    args: ['products', 'show', NIL],
    code: 1,
    stderr: `GET /products/${NIL} failed with HTTP 404 (not found): No product with id ${NIL}.`,
  },
  'a manifest file that does not exist': { args: ['publish', 'nosuch.yaml'], code: 1, stderr: 'nosuch.yaml: error: cannot read the manifest: no such file.' },
  'no manifest here': { args: ['publish'], code: 1, stderr: 'No manifest here: give its file, or run this where hsp.yaml or marketplace.json is.' },
  'a file that may not be replaced': {
    args: ['manifest', 'convert', spec, '--to', 'hsp.yaml', '--output-file', taken],
    who: 'nobody',
    code: 1,
    stderr: `${taken} already exists; pass --force to replace it.`,
  },

  // 2: the command line itself.
  'an unknown command': { args: ['nosuch'], code: 2, stderr: "Unknown command 'nosuch'." },
  'an unknown command, misspelt': { args: ['produtcs', 'list'], code: 2, stderr: "Unknown command 'produtcs'. Did you mean products?" },
  'help for an unknown command': { args: ['help', 'nosuch'], who: 'nobody', code: 2, stderr: "Unknown command 'nosuch'." },
  'an unknown verb': { args: ['products', 'lst'], code: 2, stderr: "Unknown command 'lst'. Did you mean one of list, ls?" },
  'an unknown flag': { args: ['products', 'list', '--bogus'], code: 2, stderr: "Unknown option '--bogus'." },
  'a global flag where it means nothing': { args: ['serve', '--json'], who: 'nobody', code: 2, stderr: "Unknown option '--json'." },
  'a missing argument': { args: ['products', 'show'], code: 2, stderr: "Missing required argument 'id'." },
  'a missing required flag': { args: ['builds', 'list'], code: 2, stderr: "Required option '--product <product>' not specified." },
  'a malformed value': { args: ['groups', 'list', '--limit', 'many'], code: 2, stderr: '--limit must be a positive number, got "many".' },
  'an output format that is none': { args: ['groups', 'list', '-o', 'xml'], code: 2, stderr: '-o/--output is the output format: table, json or yaml, not "xml".' },
  '-o naming a file (the old spelling)': {
    args: ['builds', 'asset', 'download', '--product', 'App', '--build', '1.0.0', '-o', 'app.tgz'],
    code: 2,
    stderr: '-o/--output is the output format: table, json or yaml, not "app.tgz"; to write to a file, use --output-file app.tgz.',
  },
  '-o naming a file where there is no format': {
    args: ['manifest', 'convert', spec, '--to', 'hsp.yaml', '-o', 'json'],
    who: 'nobody',
    code: 2,
    stderr: 'hsp manifest convert has no output format: to write to a file, use --output-file json.',
  },
  'flags that exclude each other': {
    args: ['builds', 'asset', 'download', '--product', 'App', '--build', '1.0.0', '--extract', 'app', '--output-file', 'app.tgz'],
    code: 2,
    stderr: 'Pass either --output-file or --extract, not both.',
  },
  'a confirmation no terminal can give': { args: ['products', 'delete', NIL], code: 2, stderr: `Delete product ${NIL}: pass --yes to confirm when not at a terminal.` },
  'a marketplace URL that is none': { args: ['groups', 'list', '--url', 'ftp://example.org'], code: 2, stderr: 'The marketplace URL must start with http:// or https://, got "ftp://example.org".' },

  // 4: sign-in needed.
  'no marketplace selected': { args: ['products', 'list'], who: 'nobody', code: 4, stderr: 'No marketplace selected: pass --url, set HSP_URL, or run "hsp login".' },
  'no token where one is needed': { args: ['products', 'create', '--name', 'Anonymous App'], who: 'anonymous', code: 4, stderr: 'You are not signed in: run "hsp login", or set HSP_TOKEN.' },
};

describe('exit codes of bin/hsp', () => {
  it.each(Object.entries(cases))('%s', async (_, { args, who = 'admin', code, stderr }) => {
    const run = await hsp(args, who);
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({ code, stderr: `${stderr}\n`, stdout: '' });
  });

  it('a token the server refuses: 4, with the hint to sign in', async () => {
    const run = await hsp(['groups', 'create', '--name', 'Refused'], 'refused');
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^[A-Z]+ \/\S* failed with HTTP 401 \(authentication is required or was refused\): .*\nSign in with "hsp login", or set HSP_TOKEN\.\n$/);
  });

  it('help is not a mistake: bare "hsp", a group alone and "hsp help …" print help on stdout, exit 0', async () => {
    const program = await hsp(['--help'], 'nobody');
    expect(await hsp([], 'nobody')).toEqual({ code: 0, signal: null, stdout: program.stdout, stderr: '' });
    expect(await hsp(['help'], 'nobody')).toEqual({ code: 0, signal: null, stdout: program.stdout, stderr: '' });
    const products = await hsp(['products', '--help'], 'nobody');
    expect(products.stdout).toMatch(/^Products \(Health Services\) in the catalogue\n/);
    expect(await hsp(['products'], 'nobody')).toEqual({ code: 0, signal: null, stdout: products.stdout, stderr: '' });
    expect(await hsp(['help', 'products'], 'nobody')).toEqual({ code: 0, signal: null, stdout: products.stdout, stderr: '' });
  });

  describe('Ctrl+C', () => {
    // A marketplace that accepts the connection and never answers: hsp waits until interrupted.
    let silent: Server;
    const sockets = new Set<Socket>();
    let url = '';
    beforeAll(async () => {
      silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('ends a waiting command by SIGINT (the shell reports 130), with nothing half-printed', async () => {
      const { child, exited } = start(['groups', 'list', '--url', url], 'nobody');
      // Let it connect and wait for the answer before interrupting.
      await new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      child.kill('SIGINT');
      const run = await exited;
      expect({ code: run.code, signal: run.signal, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: null, signal: 'SIGINT', stdout: '', stderr: '' });
    });
  });
});
