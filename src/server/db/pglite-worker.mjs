/**
 * The worker thread that owns the embedded database (PGlite). PGlite runs PostgreSQL in
 * WebAssembly on the thread that calls it, and a query cannot be interrupted from inside; on
 * the server's own thread one slow query would stop every request. Here it stops only this
 * thread, which the server ends and replaces when a query outlives its time limit (./pglite.ts).
 *
 * Plain JavaScript on purpose: the same file runs from src/ (tests run the sources) and, built by
 * tsup as an entry of its own, from dist/; Node 20 cannot start a worker from TypeScript.
 *
 * Protocol, on the MessagePort in `workerData.port` (./pglite.ts schedules; requests run one
 * at a time, in the order they arrive):
 *   in  { id, op: 'query', sql, params } | { id, op: 'exec', sql } | { id, op: 'commit' | 'rollback' }
 *       { id, op: 'listen' | 'unlisten', channel, key } | { id, op: 'snapshot' } | { id, op: 'close' }
 *       (`begin: true` on a request opens a transaction first: the request then runs in it)
 *   out { id, result } | { id, error } | { notify: key, payload } | { ready: true } | { failed: error }
 * and two shared words in `workerData.control`: the id of the last request started (written
 * here), and a stop flag (written by the server before it ends this thread). Together they
 * tell the server exactly which requests never started, so it can run those again elsewhere.
 */
import { workerData } from 'node:worker_threads';

const BYTEA = 17;
/** Fields of a PostgreSQL error the server reads (errors.ts); never the query or its parameters. */
const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'constraint', 'column', 'table', 'schema', 'dataType', 'where', 'routine'];

const STOP = 0;
const STARTED = 1;
/** @type {import('node:worker_threads').MessagePort} */
const port = workerData.port;
/** @type {Int32Array} */
const control = workerData.control;
/** Requests received and not yet run. */
const queue = [];
let draining = false;
/** @type {import('@electric-sql/pglite').PGlite} */
let db;
/** The open transaction: its handle, and how to end it (commit or not). */
let open;
/** Unsubscribe functions of the channels listened to, by key. */
const listening = new Map();

try {
  const { PGlite } = await import('@electric-sql/pglite');
  db = new PGlite({
    dataDir: workerData.dataDir,
    ...(workerData.snapshot ? { loadDataDir: new Blob([workerData.snapshot]) } : {}),
    // PGlite's own bytea codec builds a hex string one byte at a time: 20 s for a 50 MB file.
    // Binary parameters and Buffer's native hex decoder do the same in well under a second.
    serializers: { [BYTEA]: byteaParameter },
    parsers: { [BYTEA]: (text) => Buffer.from(text.slice(2), 'hex') },
  });
  await db.waitReady;
  port.on('message', (message) => {
    queue.push(message);
    if (!draining) void drain();
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ failed: serializeError(error) });
}

/** Runs the queued requests one after another, each answered as soon as it is done. */
async function drain() {
  draining = true;
  while (queue.length) {
    const message = queue.shift();
    // Say it started, then look at the stop flag: the server, which sets the flag and then
    // reads this word, either sees this request as started or knows it never will be.
    Atomics.store(control, STARTED, message.id);
    if (Atomics.load(control, STOP) !== 0) break;
    try {
      port.postMessage({ id: message.id, result: await run(message) });
    } catch (error) {
      port.postMessage({ id: message.id, error: serializeError(error) });
    }
  }
  draining = false;
}

async function run(message) {
  if (message.begin) await begin();
  switch (message.op) {
    case 'query': {
      const result = await (open?.tx ?? db).query(message.sql, message.params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    }
    case 'exec':
      await (open?.tx ?? db).exec(message.sql);
      return undefined;
    case 'commit':
    case 'rollback':
      return end(message.op === 'commit');
    case 'listen':
      if (!listening.has(message.key)) {
        listening.set(message.key, await db.listen(message.channel, (payload) => port.postMessage({ notify: message.key, payload })));
      }
      return undefined;
    case 'unlisten': {
      const stop = listening.get(message.key);
      listening.delete(message.key);
      await stop?.();
      return undefined;
    }
    case 'snapshot':
      return (await db.dumpDataDir('gzip')).arrayBuffer();
    case 'close':
      await db.close();
      return undefined;
    default:
      throw new Error(`Unknown request ${JSON.stringify(message.op)}.`);
  }
}

const ROLLBACK = Symbol('rollback');

/**
 * Opens a transaction with PGlite's own `transaction()` and holds it open: its callback waits
 * until `commit` or `rollback` arrives, and the queries in between run on its handle.
 */
function begin() {
  if (open) throw new Error('A transaction is already open.');
  return new Promise((resolve, reject) => {
    let decide;
    const decision = new Promise((settle) => (decide = settle));
    const done = db
      .transaction(async (tx) => {
        open = { tx, decide, done };
        resolve(undefined);
        if (!(await decision)) throw ROLLBACK;
      })
      .catch((error) => {
        if (error !== ROLLBACK) throw error;
      })
      .finally(() => {
        open = undefined;
      });
    // BEGIN itself failed: the callback never ran.
    done.catch(reject);
  });
}

async function end(commit) {
  if (!open) throw new Error('No transaction is open.');
  const { decide, done } = open;
  decide(commit);
  await done;
}

/** A bytea parameter: bytes go as they are (binary format); text stays PostgreSQL's own input syntax. */
function byteaParameter(value) {
  if (value instanceof Uint8Array || typeof value === 'string') return value;
  throw new Error('Invalid input for bytea type');
}

function serializeError(error) {
  const plain = { message: error instanceof Error ? error.message : String(error), name: error?.name ?? 'Error' };
  for (const field of ERROR_FIELDS) {
    if (typeof error?.[field] === 'string') plain[field] = error[field];
  }
  return plain;
}
