/** Whether this machine has a `tar` command (GNU or BSD), for tests that compare with it. */
import { execFileSync } from 'node:child_process';

export const hasSystemTar = (() => {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
