/**
 * The `hsp` executable: runs the command tree over the process's streams and exits with its
 * code. Kept tiny; bin/hsp loads this file and nothing else up front.
 */
import { writeSync } from 'node:fs';
import { VERSION } from '../version.js';

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  // `hsp --version` is what scripts and installers run most: answer before loading the tree.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    writeOut(`${VERSION}\n`);
    return;
  }
  // The program's own help needs one line per command, not the tree: see top-help.ts.
  if (args.length === 0 || (args.length === 1 && (args[0] === '--help' || args[0] === '-h' || args[0] === 'help'))) {
    const { topLevelHelp } = await import('./top-help.js');
    writeOut(topLevelHelp());
    return;
  }
  process.stdout.on('error', readerGone);
  process.stderr.on('error', readerGone);
  const { runCli } = await import('./program.js');
  const code = await runCli(args, { io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env } });
  process.exitCode = code;
  // Finished: do not linger on a background handle (a keychain call that timed out, an idle
  // keep-alive socket). The timer is unref'd, so a process with nothing left exits at once.
  setTimeout(() => process.exit(code), 500).unref();
}

let gone = false;

/**
 * `hsp … | head` closed the pipe early: the reader has what it wanted, which is no error. A
 * command holding something (a server, an agent, temporary files) listens for SIGTERM to let
 * go of it and gets one; any other command ends here, quietly, as `git log | head` does.
 */
function readerGone(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  if (gone) return;
  gone = true;
  if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
  else process.exit(process.exitCode ?? 0);
}

/**
 * Writes a short answer (the version, the program's help) straight to file descriptor 1:
 * creating `process.stdout` (a pipe or terminal stream, with the modules behind it) costs a
 * few milliseconds, a noticeable part of `hsp --version`. A reader that has gone (EPIPE) is no
 * error, as in `readerGone`; a pipe that is full for now (EAGAIN) gets the rest the usual way.
 */
function writeOut(text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw error;
    process.stdout.on('error', readerGone).write(bytes.subarray(written));
  }
}

