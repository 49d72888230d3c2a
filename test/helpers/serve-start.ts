/**
 * For tests of how `hsp serve` starts (test/integration/cli/serve-start-*.test.ts): the step a
 * start is at (NODE_DEBUG=hsp makes the server say it on stderr), a database server that
 * accepts connections and never says a word, free ports, and what a failed start printed.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';
import type { HspExit, HspProcess } from './hsp-process.js';

/** The environment that makes `hsp serve` name each step of its start on stderr. */
export const TRACE_START = { NODE_DEBUG: 'hsp' };

/** Resolves once the server says it is at `step` (with `TRACE_START`); rejects if it ends first. */
export async function waitForStep(server: HspProcess, step: RegExp): Promise<void> {
  for (;;) {
    if (step.test(server.output().stderr)) return;
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      const { stdout, stderr } = server.output();
      throw new Error(`hsp exited before the step ${step}:\n${stdout}${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** stderr without the NODE_DEBUG lines ("HSP 4242: start: …"): what a user sees. */
export function userStderr(run: HspExit): string {
  return run.stderr
    .split('\n')
    .filter((line) => !/^HSP \d+: /.test(line))
    .join('\n');
}

/** A start that failed or was stopped: one sentence on stderr, no stack trace, nothing served. */
export function expectOneSentence(run: HspExit): string {
  const stderr = userStderr(run).trimEnd();
  const lines = stderr.split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^[A-Z-].*[.!?]$/);
  expect(run.stderr).not.toMatch(/^\s+at .+:\d+/m);
  expect(run.stdout).not.toMatch(/listening/);
  return lines[0]!;
}

/** Milliseconds from now until the process ends. */
export async function msUntilExit(server: HspProcess): Promise<{ run: HspExit; ms: number }> {
  const started = performance.now();
  const run = await server.exited;
  return { run, ms: performance.now() - started };
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Something listening on a port of 127.0.0.1 (`port`, or any free one), so that it is in use; `close` frees it. */
export async function occupiedPort(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer().listen(port, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

/**
 * A "database" that accepts TCP connections and never answers: a PostgreSQL server hung, or a
 * proxy in front of one that is gone. `connections()` counts those still open.
 */
export async function silentDatabase(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    // Read (and ignore) what the client sends: only a socket that reads sees it hang up.
    socket.resume();
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
