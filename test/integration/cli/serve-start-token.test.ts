/**
 * What a newcomer's script relies on after `hsp serve &`: by the time the port answers, the
 * administrator token is in its file, whole and private (the README waits for an answer, then
 * reads it); and the sign-in line `hsp serve` prints works pasted into a shell as it is, on a
 * machine without an OS keychain too (it then says --insecure-storage, without which `hsp
 * login` from a pipe stores nothing). PGlite only: the token file is the same on PostgreSQL.
 *
 * The built bin/hsp in child processes; the pasted line runs in `sh`, with `hsp` on PATH.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, spawnHsp, type HspProcess } from '../../helpers/hsp-process.js';
import { freePort } from '../../helpers/serve-start.js';
import { onPGlite, onPosix } from '../../helpers/skips.js';

const started: HspProcess[] = [];
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hsp-serve-token-'));
});
afterAll(async () => {
  for (const server of started) server.child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

/**
 * Asks the port as often as it can while the server starts; at its first answer (any status),
 * reads what `tokenFile()` names at that very moment.
 */
async function tokenAtFirstAnswer(server: HspProcess, port: number, tokenFile: () => Promise<string | undefined>) {
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`hsp serve ended: ${server.output().stderr}`);
    const answered = await fetch(`http://127.0.0.1:${port}/status`).then(
      () => true,
      () => false,
    );
    if (answered) {
      const file = await tokenFile();
      if (!file) return undefined;
      const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => undefined), stat(file).catch(() => undefined)]);
      return { file, text, mode: info && (info.mode & 0o777).toString(8) };
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A whole token: one JWT and a newline. */
const WHOLE_TOKEN = /^[\w-]+\.[\w-]+\.[\w-]+\n$/;

onPGlite.describe('the administrator token is written before the port answers', () => {
  it('--data-dir: admin.token is there, whole, mode 0600, at the first answer', async () => {
    const port = await freePort();
    const dataDir = join(tmp, 'first-start');
    const server = spawnHsp(['serve', '--data-dir', dataDir, '--port', String(port)]);
    started.push(server);
    const found = await tokenAtFirstAnswer(server, port, async () => join(dataDir, 'admin.token'));
    expect(found).toMatchObject({ text: expect.stringMatching(WHOLE_TOKEN), ...(process.platform === 'win32' ? {} : { mode: '600' }) });
    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0 });
  }, 120_000);

  it('--memory: the temporary token file is there, whole, at the first answer', async () => {
    const port = await freePort();
    const scratch = await mkdtemp(join(tmp, 'memory-'));
    const server = spawnHsp(['serve', '--memory', '--port', String(port)], { env: { TMPDIR: scratch } });
    started.push(server);
    const found = await tokenAtFirstAnswer(server, port, async () => {
      const folder = (await readdir(scratch)).find((name) => name.startsWith('hsp-marketplace-'));
      return folder && join(scratch, folder, 'admin.token');
    });
    expect(found).toMatchObject({ text: expect.stringMatching(WHOLE_TOKEN) });
    const [, printed] = await server.waitFor(/^Administrator token written to (.+)$/m);
    expect(printed).toBe(found!.file);
    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0 });
  }, 120_000);
});

onPGlite.describe('the sign-in line hsp serve prints', () => {
  onPosix.it('pasted into sh as it is, it signs in, without a keychain and with a space in the folder name', { timeout: 120_000 }, async () => {
    // `hsp` on PATH, as after `npm link`; a configuration folder of the test's own.
    const bin = join(tmp, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'hsp'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'bin', 'hsp')}" "$@"\n`);
    await chmod(join(bin, 'hsp'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, HSP_CONFIG_DIR: join(tmp, 'config'), HSP_NO_KEYRING: '1' };

    const dataDir = join(tmp, 'my marketplace');
    const server = spawnHsp(['serve', '--data-dir', dataDir, '--port', '0'], { env });
    started.push(server);
    const [, line] = await server.waitFor(/^Sign in with: (.+)$/m);
    expect(line).toContain('--insecure-storage');
    expect(line).toContain(`'${dataDir}/admin.token'`);

    const login = spawnSync('sh', ['-c', line!], { cwd: tmp, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(login.status, login.stderr).toBe(0);
    const status = spawnSync('sh', ['-c', 'hsp status --json'], { cwd: tmp, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ identity: { user: { name: 'Administrator' } } });

    // The same line without the flag stores nothing, which is why it is there.
    await rm(join(tmp, 'config'), { recursive: true, force: true });
    const without = spawnSync('sh', ['-c', line!.replace(' --insecure-storage', '')], { cwd: tmp, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(without.status).not.toBe(0);
    expect(without.stderr).toContain('--insecure-storage');

    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0 });
  });
});
