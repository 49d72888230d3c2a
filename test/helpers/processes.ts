/** Real processes for tests of what a lock file recorded about one. */
import { spawn } from 'node:child_process';

/** The PID of a process that has run and exited (and been reaped): nobody runs under it now. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
