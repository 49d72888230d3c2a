#!/usr/bin/env node
/**
 * A stand-in for a container, as a hook for the agent's exec orchestrator: each deployed
 * instance becomes a tiny HTTP server on 127.0.0.1 that answers `GET /` with the instance id
 * and the names of its environment variables. For demos and tests on hosts without Docker:
 *
 *   hsp agent listen --platform my-host --orchestrator exec --exec node examples/agent/stand-in-container.mjs
 *
 * State (one JSON file per instance, named by its UUID) lives in $HSP_STANDIN_DIR, by default
 * $XDG_STATE_HOME/hsp-standin (~/.local/state/hsp-standin).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENV_NAME = /^[A-Z0-9_]+$/;
const INSTANCE_VARIABLE = 'HSP_STANDIN_INSTANCE_ID';
const NAMES_VARIABLE = 'HSP_STANDIN_ENV_NAMES';

if (process.argv[2] === 'serve') serve();
else {
  try {
    await runHook(process.env.HSP_ACTION);
  } catch (error) {
    process.stderr.write(`stand-in: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

async function runHook(action) {
  const dir = process.env.HSP_STANDIN_DIR || join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'hsp-standin');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (action === 'list') {
    const running = [];
    for (const file of readdirSync(dir)) {
      const id = file.replace(/\.json$/, '');
      if (!UUID.test(id) || file !== `${id}.json`) continue;
      if (await answers(readState(dir, id), id)) running.push(id);
      else rmSync(join(dir, file), { force: true });
    }
    process.stdout.write(`${JSON.stringify(running)}\n`);
    return;
  }
  // File names come only from a checked UUID, never from other marketplace text.
  const id = String(process.env.HSP_INSTANCE_ID ?? '').toLowerCase();
  if (!UUID.test(id)) throw new Error('HSP_INSTANCE_ID is not an instance id.');
  if (action === 'remove') {
    await stop(dir, id);
    return;
  }
  if (action === 'deploy') {
    const input = JSON.parse(await readStdin());
    await stop(dir, id);
    const state = await start(id, input?.deployment?.environment ?? {});
    writeState(dir, id, state);
    process.stdout.write(`${JSON.stringify({ workloads: [{ pid: state.pid, url: state.url }] })}\n`);
    return;
  }
  throw new Error(`unknown HSP_ACTION ${JSON.stringify(action)} (deploy, remove or list).`);
}

/** Starts the instance's server, detached so it outlives this hook, and learns its port over IPC. */
function start(id, environment) {
  // Only the names travel: values such as LD_PRELOAD must never reach a process on this host.
  const names = Object.keys(environment).filter((name) => ENV_NAME.test(name)).sort();
  const env = { [INSTANCE_VARIABLE]: id, [NAMES_VARIABLE]: names.join(',') };
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], { detached: true, env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the server for ${id} exited at start (code ${code}).`)));
    child.once('message', (message) => {
      child.removeAllListeners('exit');
      child.disconnect();
      child.unref();
      resolve({ pid: child.pid, url: `http://127.0.0.1:${message.port}` });
    });
  });
}

/** Stops the instance's server if it is the one that answers there (a pid may have been reused). */
async function stop(dir, id) {
  const state = readState(dir, id);
  if (state && (await answers(state, id))) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while ((await answers(state, id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    if (await answers(state, id)) process.kill(state.pid, 'SIGKILL');
  }
  rmSync(join(dir, `${id}.json`), { force: true });
}

async function answers(state, id) {
  if (!state || typeof state.url !== 'string') return false;
  const body = await new Promise((resolve) => {
    // node:http rather than fetch: fetch's idle timers keep a short-lived hook alive for a second.
    const request = get(state.url, { agent: false, timeout: 2000 }, (response) => {
      let data = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (data += chunk));
      response.on('end', () => resolve(data));
      response.on('error', () => resolve(''));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(''));
  });
  try {
    const answer = JSON.parse(body);
    return answer.instance_id === id && answer.pid === state.pid;
  } catch {
    return false;
  }
}

function readState(dir, id) {
  try {
    return JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Written beside, then renamed: a crash never leaves half a state file. */
function writeState(dir, id, state) {
  const file = join(dir, `${id}.json`);
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
}

function readStdin() {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => (data += chunk));
    process.stdin.on('end', () => resolve(data || '{}'));
    process.stdin.on('error', reject);
  });
}

/** The "container": answers with its instance id and the names of the variables it was given. */
function serve() {
  const id = process.env[INSTANCE_VARIABLE];
  const names = (process.env[NAMES_VARIABLE] ?? '').split(',').filter((name) => ENV_NAME.test(name));
  const server = createServer((req, res) => {
    const found = req.method === 'GET' && req.url === '/';
    // No keep-alive: an idle connection would hold the hook that asked open until it timed out.
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(found ? { instance_id: id, pid: process.pid, environment: names } : { message: 'not found' }));
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
  // Exiting closes the socket at once; server.close() would wait for idle keep-alive connections.
  process.on('SIGTERM', () => process.exit(0));
  // The hook goes away after the start; this server stays.
  process.on('disconnect', () => undefined);
}
