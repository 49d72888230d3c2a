/**
 * Embedded PostgreSQL (PGlite), run in a worker thread (./pglite-worker.mjs) so that no query,
 * however slow, holds up the server's own thread.
 *
 * PGlite serves one query at a time and cannot cancel one, so this module schedules: requests
 * go to the worker in order (only an open transaction's while there is one), and when one
 * outlives the time limit the worker is ended and a new one opens the same directory.
 * PostgreSQL's crash recovery then finds every committed transaction, as after a power cut.
 * Requests that had not started run on the new worker, exactly once (the worker says which
 * it started through shared memory, see ./pglite-worker.mjs).
 *
 * That needs a directory, so the "in-memory" database lives in a private temporary one,
 * removed on close (see `scratchDirectory`). Creating a cluster from scratch takes seconds, so
 * it starts from a snapshot of a freshly created, fully migrated one (see ../index.ts).
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  DatabaseUnavailableError,
  describeDuration,
  PG,
  QueryTimeoutError,
  queryTimeoutOf,
  quoteIdent,
  type Database,
  type Queryable,
  type QueryResult,
} from './database.js';

export interface PGliteOptions {
  /** A directory to keep the database in; none means a private temporary one, removed on close. */
  dataDir?: string;
  /** A tarball (from `snapshot`) to start from: for a temporary or a new (empty) `dataDir`. */
  snapshot?: Blob;
  /** Longest a request may keep the database busy before it is cancelled (the worker restarted). */
  queryTimeoutMs?: number;
  /** Stops the opening: the worker is ended at once (loading PGlite takes a second or more). */
  signal?: AbortSignal;
}

export type PGliteDatabase = Database & { snapshot(): Promise<Blob> };

export async function openPGlite(options: PGliteOptions = {}): Promise<PGliteDatabase> {
  const limitMs = queryTimeoutOf(options.queryTimeoutMs);
  const { signal } = options;
  signal?.throwIfAborted();
  const snapshot = options.snapshot ? new Uint8Array(await options.snapshot.arrayBuffer()) : undefined;
  const scratch = options.dataDir ? undefined : await scratchDirectory();
  const removeScratch = async () => {
    if (!scratch) return;
    await rm(scratch, { recursive: true, force: true });
    scratchDirectories.delete(scratch);
  };
  const engine = new WorkerDatabase(options.dataDir ?? scratch!, limitMs, removeScratch);
  const stop = () => void engine.terminate();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    signal?.throwIfAborted();
    await engine.start(snapshot);
  } catch (error) {
    // Ends the worker (if it still runs) and removes the temporary directory.
    await engine.terminate();
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  return engine.facade();
}

/** Temporary database directories of this process, removed at exit if nobody closed them. */
const scratchDirectories = new Set<string>();
let removingAtExit = false;

/**
 * A new private directory (mkdtemp makes it 0700: the database, and the token key in it, is
 * its owner's alone) for a database that lives as long as its server. In memory where the
 * system has a roomy memory-backed one (Linux's /dev/shm, with 1 GiB free), as PGlite's own
 * in-memory store was, and about as fast to fill at start (on disk it costs a second more);
 * else in the temporary directory. TMPDIR, when set, wins.
 */
async function scratchDirectory(): Promise<string> {
  let dir: string | undefined;
  if (!process.env.TMPDIR) {
    const shm = await statfs('/dev/shm').catch(() => undefined);
    if (shm && shm.bavail * shm.bsize >= 1024 ** 3) dir = await mkdtemp(join('/dev/shm', 'hsp-pglite-')).catch(() => undefined);
  }
  dir ??= await mkdtemp(join(tmpdir(), 'hsp-pglite-'));
  if (!removingAtExit) {
    process.on('exit', removeScratchDirectories);
    removingAtExit = true;
  }
  scratchDirectories.add(dir);
  return dir;
}

/** At exit (an uncaught error, process.exit, a script that never closed its server): nothing left behind. */
function removeScratchDirectories(): void {
  for (const dir of scratchDirectories) rmSync(dir, { recursive: true, force: true });
  scratchDirectories.clear();
}

/** Reads a cached snapshot, or `undefined` when there is none (or it is unreadable). */
export async function readSnapshot(path: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

/** Writes a snapshot atomically, so a concurrent reader never sees half a file. */
export async function writeSnapshot(path: string, snapshot: Blob): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, new Uint8Array(await snapshot.arrayBuffer()));
  await rename(temporary, path);
}

// ---------------------------------------------------------------------------------------
// The worker and its scheduler

/** `begin` never reaches the worker: it marks a transaction's turn in the queue. */
type Op = 'query' | 'exec' | 'begin' | 'commit' | 'rollback' | 'listen' | 'unlisten' | 'snapshot' | 'close';

interface Request {
  op: Op;
  sql?: string;
  params?: readonly unknown[];
  channel?: string;
  key?: string;
}

interface Pending {
  request: Request;
  /** The transaction it belongs to (its queries, commit and rollback). */
  tx?: Transaction;
  /** For `begin`: the transaction it opens. */
  opens?: Transaction;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Transaction {
  /** Its requests, waiting to be sent; only an open transaction has any. */
  queue: Pending[];
  /** Its BEGIN has been sent: it goes with its first request, saving the worker a round trip. */
  begun?: boolean;
  /** Set when it can no longer commit (its worker was ended, or it sat idle too long). */
  failure?: Error;
}

type Reply =
  | { id: number; result?: unknown; error?: Record<string, string> }
  | { notify: string; payload: string }
  | { ready: true }
  | { failed: Record<string, string> };

/** Requests sent ahead to the worker, so it never waits for this thread between two of them. */
const PIPELINE_DEPTH = 16;
/** Indexes into the words shared with the worker (see ./pglite-worker.mjs). */
const STOP = 0;
const STARTED = 1;

/** The worker and what only it may touch, replaced together. */
interface Connection {
  worker: Worker;
  port: MessagePort;
  control: Int32Array;
}

class WorkerDatabase {
  #connection?: Connection;
  /** Set while a worker is starting: requests wait for it. */
  #starting?: Promise<void>;
  /** Requests outside any transaction, not sent yet, in arrival order. */
  readonly #queue: Pending[] = [];
  /** Requests sent to the worker and not answered yet, in the order it runs them. */
  readonly #sent: { pending: Pending; id: number }[] = [];
  /** The time limit of the first of `#sent`, from when it started as far as this thread can tell. */
  #watchdog?: NodeJS.Timeout;
  /** The transaction whose turn it is: only its requests may go until it ends. */
  #open?: Transaction;
  /** A `close` was sent: nothing goes after it. */
  #closeSent = false;
  #idleTimer?: NodeJS.Timeout;
  #nextId = 0;
  #referenced = true;
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #closing?: Promise<void>;
  #terminating?: Promise<void>;

  constructor(
    private readonly dataDir: string,
    private readonly limitMs: number,
    private readonly onClosed: () => Promise<void>,
  ) {}

  /** Starts the first worker (from `snapshot`, if given); rejects with PGlite's own error when it cannot. */
  start(snapshot?: Uint8Array): Promise<void> {
    const started = this.#spawn(snapshot);
    const done = () => {
      this.#starting = undefined;
    };
    this.#starting = started.then(done, done);
    return started;
  }

  /** The `Database` the server sees: plain functions, safe to pass around unbound. */
  facade(): PGliteDatabase {
    return {
      engine: 'pglite',
      ...this.#queryable(),
      transaction: (work) => this.#transaction(work),
      listen: (channel, onPayload) => this.#listen(channel, onPayload),
      close: (options) => (options?.now ? this.terminate() : this.#close()),
      snapshot: async () => new Blob([(await this.#call({ op: 'snapshot' })) as ArrayBuffer]),
    };
  }

  /** Queries and scripts, in an open transaction or outside any. */
  #queryable(tx?: Transaction): Queryable {
    return {
      query: <R>(sql: string, params?: readonly unknown[]) => this.#call({ op: 'query', sql, params: prepare(params) }, tx) as Promise<QueryResult<R>>,
      exec: async (sql: string) => void (await this.#call({ op: 'exec', sql }, tx)),
    };
  }

  async #transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx: Transaction = { queue: [] };
    await this.#call({ op: 'begin' }, undefined, tx);
    const handle = this.#queryable(tx);
    let result: T;
    try {
      result = await work(handle);
    } catch (error) {
      await this.#call({ op: 'rollback' }, tx).catch(() => {});
      throw error;
    }
    await this.#call({ op: 'commit' }, tx);
    return result;
  }

  async #listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let listeners = this.#channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
      try {
        await this.#call({ op: 'listen', channel: quoteIdent(channel), key: channel });
      } catch (error) {
        this.#channels.delete(channel);
        throw error;
      }
    }
    listeners.add(onPayload);
    const subscribed = listeners;
    return async () => {
      subscribed.delete(onPayload);
      if (subscribed.size || this.#channels.get(channel) !== subscribed) return;
      this.#channels.delete(channel);
      await this.#call({ op: 'unlisten', key: channel }).catch(() => {});
    };
  }

  /** Lets queued requests finish, closes PGlite (a clean shutdown), ends the worker, removes a temporary directory. */
  #close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#call({ op: 'close' }, undefined, undefined, true).catch(() => {});
      // Forgotten first, so that its exit is not taken for a crash.
      const connection = this.#connection;
      this.#connection = undefined;
      connection?.port.close();
      await connection?.worker.terminate();
      await this.onClosed();
    })();
    return this.#closing;
  }

  /**
   * Ends the worker at once, whatever it runs: PGlite loading, a migration, a query. Like a power
   * cut, which PostgreSQL's crash recovery handles at the next open; every request waiting
   * fails. Then the temporary directory (if any) is removed. Safe to call more than once, and
   * while a `#close` waits for the worker: that one ends too.
   */
  terminate(): Promise<void> {
    if (!this.#terminating) {
      this.#terminating = this.#end();
      this.#closing ??= this.#terminating;
    }
    return this.#terminating;
  }

  async #end(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    clearTimeout(this.#watchdog);
    this.#disarmIdleTimer();
    const closed = new DatabaseUnavailableError('The database is closed.');
    for (const { pending } of this.#sent.splice(0)) pending.reject(closed);
    this.#abandonOpenTransaction(closed, true);
    this.#failQueued(closed);
    connection?.port.close();
    await connection?.worker.terminate();
    await this.onClosed();
  }

  /** Queues a request (in its transaction, if any) and resolves to the worker's answer. */
  #call(request: Request, tx?: Transaction, opens?: Transaction, closing = false): Promise<unknown> {
    // Once closing, nothing new starts; a transaction under way may still finish (the close waits for it).
    if (this.#closing && !closing && !tx) return Promise.reject(new DatabaseUnavailableError('The database is closed.'));
    if (tx?.failure) {
      // Its work is rolled back already, with the worker that held it.
      return request.op === 'rollback' ? Promise.resolve() : Promise.reject(tx.failure);
    }
    return new Promise((resolve, reject) => {
      (tx ? tx.queue : this.#queue).push({ request, tx, opens, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Sends requests while the worker may take them: those of the open transaction while there
   * is one, otherwise the oldest, up to `PIPELINE_DEPTH` ahead. A transaction's turn comes
   * when its `begin` is the oldest (nothing is sent for it: BEGIN goes with its first request);
   * a `close` is the last request sent.
   */
  #pump(): void {
    const connection = this.#connection;
    if (this.#starting) return this.#reference();
    if (!connection) {
      // A restart that failed: the next request tries again (closing needs no worker).
      if (this.#closing) this.#failQueued(new DatabaseUnavailableError('The database is closed.'));
      else if (this.#queue.length) this.#restart(undefined);
      return;
    }
    while (!this.#closeSent && this.#sent.length < PIPELINE_DEPTH) {
      const pending = (this.#open ? this.#open.queue : this.#queue).shift();
      if (!pending) break;
      if (pending.opens) {
        this.#open = pending.opens;
        pending.resolve(undefined);
        continue;
      }
      if (pending.tx && !pending.tx.begun && (pending.request.op === 'commit' || pending.request.op === 'rollback')) {
        // Nothing was sent for it: nothing to end.
        this.#open = undefined;
        pending.resolve(undefined);
        continue;
      }
      if (!this.#send(connection, pending)) continue;
      if (pending.request.op === 'close') this.#closeSent = true;
    }
    if (this.#open && !this.#sent.length && !this.#open.queue.length) this.#armIdleTimer(this.#open);
    else this.#disarmIdleTimer();
    this.#reference();
  }

  #send(connection: Connection, pending: Pending): boolean {
    const id = ++this.#nextId;
    const begin = !!pending.tx && !pending.tx.begun;
    try {
      connection.port.postMessage(begin ? { id, begin, ...pending.request } : { id, ...pending.request });
    } catch (error) {
      // A parameter that cannot cross to the worker (a function, say): this request's fault only.
      pending.reject(error);
      return false;
    }
    if (begin) pending.tx!.begun = true;
    this.#sent.push({ pending, id });
    if (this.#sent.length === 1) this.#armWatchdog();
    return true;
  }

  /** The time limit of the request the worker runs now: the first one sent and not answered. */
  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    const first = this.#sent[0];
    if (!first) return;
    this.#watchdog = setTimeout(() => this.#timedOut(first.id), this.limitMs);
    this.#watchdog.unref();
  }

  #onMessage(connection: Connection, reply: Reply): void {
    if (connection !== this.#connection || !this.#settle(reply)) return;
    this.#armWatchdog();
    this.#pump();
  }

  /** Delivers a notification, or settles the request a reply answers; true for a reply. */
  #settle(reply: Reply): boolean {
    if ('notify' in reply) {
      for (const listener of this.#channels.get(reply.notify) ?? []) {
        try {
          listener(reply.payload);
        } catch {
          // One listener's failure is its own; the others still hear the event.
        }
      }
      return false;
    }
    if (!('id' in reply) || this.#sent[0]?.id !== reply.id) return false;
    const { pending } = this.#sent.shift()!;
    // A transaction is over once its commit or rollback has been answered, whatever the answer.
    if (pending.request.op === 'commit' || pending.request.op === 'rollback') this.#open = undefined;
    if (reply.error) pending.reject(revive(reply.error));
    else pending.resolve(reply.result);
    return true;
  }

  /** A request has kept PGlite busy past the limit: nothing can interrupt it but ending the thread. */
  #timedOut(id: number): void {
    if (this.#sent[0]?.id !== id || !this.#connection) return;
    this.#restart(new QueryTimeoutError(this.limitMs));
  }

  /** The worker died on its own (PGlite aborted, say). */
  #crashed(connection: Connection, cause: unknown): void {
    if (connection !== this.#connection) return;
    const failure = new DatabaseUnavailableError('The embedded database stopped unexpectedly and is restarting; the request was cancelled.');
    failure.cause = cause;
    this.#restart(failure);
  }

  /**
   * Ends the worker (if any) and starts another on the same directory. The request that was
   * running fails with `failure`, and so does any other that had started (and the open
   * transaction); requests that had not started are sent again, once, to the new worker.
   * If it cannot start, everything waiting fails with a 503, and the next request tries again.
   */
  #restart(failure: Error | undefined): void {
    const old = this.#connection;
    this.#connection = undefined;
    clearTimeout(this.#watchdog);
    if (old) {
      // Stop it starting anything more, take the answers already on their way, then learn
      // which requests it started: the rest never ran.
      Atomics.store(old.control, STOP, 1);
      for (let message = receiveMessageOnPort(old.port); message; message = receiveMessageOnPort(old.port)) {
        this.#settle(message.message as Reply);
      }
      const started = Atomics.load(old.control, STARTED);
      const cancelled = new DatabaseUnavailableError('The embedded database was restarted while this request ran; it was cancelled.');
      const unsent: Pending[] = [];
      for (const { pending, id } of this.#sent.splice(0)) {
        if (id <= started) pending.reject(id === started && failure ? failure : cancelled);
        else if (pending.tx) pending.reject(failure ?? cancelled);
        else unsent.push(pending);
      }
      this.#queue.unshift(...unsent);
      old.port.close();
    }
    this.#closeSent = false;
    this.#abandonOpenTransaction(failure ?? new DatabaseUnavailableError('The embedded database was restarted; the transaction was rolled back.'));
    if (this.#closing && !this.#queue.length && !this.#open) {
      void old?.worker.terminate();
      return;
    }
    this.#starting = (async () => {
      // The old thread must have stopped touching the files before another opens them.
      await old?.worker.terminate();
      await this.#spawn();
      // Listeners carry on: LISTEN again on the new worker, before anything else runs.
      for (const [key] of this.#channels) {
        this.#queue.unshift({ request: { op: 'listen', channel: quoteIdent(key), key }, resolve: () => {}, reject: () => {} });
      }
    })().then(
      () => {
        this.#starting = undefined;
        this.#pump();
      },
      (error: unknown) => {
        this.#starting = undefined;
        const unavailable = new DatabaseUnavailableError('The embedded database could not be restarted; the request was cancelled.');
        unavailable.cause = error;
        this.#abandonOpenTransaction(unavailable, true);
        this.#failQueued(unavailable);
      },
    );
    this.#reference();
  }

  /** The open transaction dies with its worker; one that had sent nothing yet waits for the next, if there is one. */
  #abandonOpenTransaction(failure: Error, evenUnbegun = false): void {
    const tx = this.#open;
    if (!tx || !(tx.begun || evenUnbegun)) return;
    this.#open = undefined;
    this.#disarmIdleTimer();
    tx.failure = failure;
    for (const pending of tx.queue.splice(0)) {
      if (pending.request.op === 'rollback') pending.resolve(undefined);
      else pending.reject(failure);
    }
  }

  /** Every request waiting outside a transaction fails (a `close` needs nothing more: it succeeds). */
  #failQueued(failure: Error): void {
    for (const pending of this.#queue.splice(0)) {
      if (pending.request.op === 'close') pending.resolve(undefined);
      else pending.reject(failure);
    }
  }

  /** Starts a worker on the directory and resolves once PGlite is ready in it. */
  #spawn(snapshot?: Uint8Array): Promise<void> {
    const { port1: port, port2: workerPort } = new MessageChannel();
    const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(WORKER_FILE, { workerData: { dataDir: this.dataDir, snapshot, port: workerPort, control }, transferList: [workerPort] });
    const connection: Connection = { worker, port, control };
    this.#connection = connection;
    this.#referenced = true;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let lastError: unknown;
      port.on('message', (reply: Reply) => {
        if (ready) return this.#onMessage(connection, reply);
        if ('ready' in reply) {
          ready = true;
          resolve();
        } else if ('failed' in reply) {
          if (this.#connection === connection) this.#connection = undefined;
          port.close();
          void worker.terminate();
          reject(revive(reply.failed));
        }
      });
      worker.on('error', (error) => {
        lastError = error;
      });
      worker.on('exit', () => {
        if (!ready) {
          if (this.#connection === connection) this.#connection = undefined;
          port.close();
          reject(lastError ?? new Error('The embedded database worker exited before it was ready.'));
        } else {
          this.#crashed(connection, lastError);
        }
      });
    });
  }

  /**
   * An idle transaction holds the only connection: every other request waits behind it. One
   * that sends nothing for as long as a query may run is rolled back, so the others go on.
   */
  #armIdleTimer(tx: Transaction): void {
    if (this.#idleTimer) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#open !== tx || this.#sent.length || tx.queue.length) return;
      tx.queue.push({ request: { op: 'rollback' }, tx, resolve: () => {}, reject: () => {} });
      tx.failure = new DatabaseUnavailableError(
        `A database transaction stayed open without a query for longer than ${describeDuration(this.limitMs)}, so it was rolled back.`,
        PG.idleInTransactionTimeout,
      );
      this.#pump();
    }, this.limitMs);
    this.#idleTimer.unref();
  }

  #disarmIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /**
   * The worker keeps the process alive only while it has work, as PGlite on the main thread
   * did: a script that opens a database and forgets it still exits.
   */
  #reference(): void {
    const connection = this.#connection;
    const busy = !!(this.#sent.length || this.#starting || this.#queue.length || this.#open);
    if (!connection || busy === this.#referenced) return;
    this.#referenced = busy;
    if (busy) {
      connection.worker.ref();
      connection.port.ref();
    } else {
      connection.worker.unref();
      connection.port.unref();
    }
  }
}

/**
 * The worker's file: beside this module in src/ (tests run the sources), and at the top of
 * dist/ once built, where this module is a chunk (or `server/index.js`, one level down).
 */
const WORKER_FILE = ['./pglite-worker.mjs', './pglite-worker.js', '../pglite-worker.js']
  .map((candidate) => new URL(candidate, import.meta.url))
  .find((url) => existsSync(url)) ?? new URL('./pglite-worker.mjs', import.meta.url);

/**
 * Parameters as they cross to the worker. A Buffer is often a view of a larger shared pool,
 * which structured cloning would copy whole: give it bytes of its own.
 */
function prepare(params: readonly unknown[] | undefined): readonly unknown[] | undefined {
  if (!params?.some((p) => p instanceof Uint8Array && p.byteLength !== p.buffer.byteLength)) return params;
  return params.map((p) => (p instanceof Uint8Array && p.byteLength !== p.buffer.byteLength ? new Uint8Array(p) : p));
}

/** An error from the worker, with the PostgreSQL fields (`code`, `constraint`, `detail`, …) the server reads. */
function revive(plain: Record<string, string>): Error {
  const { message, ...fields } = plain;
  return Object.assign(new Error(message), fields);
}
