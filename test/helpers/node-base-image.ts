/**
 * A Node.js base image made offline from this machine's own Node.js, for building the
 * repository's Dockerfile where Docker Hub (and so `node:20-bookworm-slim`) is out of reach.
 *
 * It holds what the Dockerfile asks of its `NODE_IMAGE`: node and npm, a shell and the usual
 * commands (busybox), the C libraries node and the build's native modules load, a `node` user
 * (uid 1000), and this machine's certificate authorities, so that `npm ci` inside the build
 * trusts the registry exactly as npm outside it does.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The C libraries a Debian image has and node, esbuild and rollup's native modules load. */
const LIBRARIES = /^(ld-linux.*|lib(c|m|dl|pthread|rt|resolv|util|anl|stdc\+\+|gcc_s)\.so.*|libnss_(files|dns)\.so.*)$/;

/** Why no base image can be made here, or undefined when one can. */
export function nodeBaseImageMissing(): string | undefined {
  if (!existsSync('/bin/busybox')) return 'needs busybox (Debian package busybox-static) for the base image';
  if (!existsSync(npmHome())) return `needs npm installed beside node (${npmHome()})`;
  return undefined;
}

function npmHome(): string {
  return join(dirname(dirname(process.execPath)), 'lib/node_modules/npm');
}

/** Imports the base image as `tag` through the Docker CLI at `dockerHost`. */
export async function importNodeBaseImage(tag: string, dockerHost: string): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'hsp-node-base-'));
  try {
    await buildRootFilesystem(root);
    const env = { ...process.env, DOCKER_HOST: dockerHost };
    const certificates = '/etc/ssl/certs/ca-certificates.crt';
    const changes = ['ENV PATH=/usr/local/bin:/usr/bin:/bin', `ENV NODE_EXTRA_CA_CERTS=${certificates}`, `ENV npm_config_cafile=${certificates}`];
    const archive = join(root, '..', `${basename(root)}.tar`);
    await run('tar', ['-C', root, '-cf', archive, '.']);
    try {
      await run('docker', ['import', ...changes.flatMap((change) => ['-c', change]), archive, tag], { env });
    } finally {
      await rm(archive, { force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function buildRootFilesystem(root: string): Promise<void> {
  for (const dir of ['bin', 'usr/bin', 'usr/lib', 'usr/local/bin', 'lib64', 'etc/ssl/certs', 'home/node', 'root']) await mkdir(join(root, dir), { recursive: true });
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777);

  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const { stdout } = await run('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').filter((name) => name && name !== 'busybox')) await symlink('busybox', join(root, 'bin', applet));
  await symlink('/bin/busybox', join(root, 'usr/bin/env')); // npm's `#!/usr/bin/env node`

  await copyFile(await realpath(process.execPath), join(root, 'usr/bin/node'));
  await chmod(join(root, 'usr/bin/node'), 0o755);
  await cp(npmHome(), join(root, 'usr/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/bin/npx'));

  await copyLibraries(root);
  if (existsSync('/etc/ssl/certs/ca-certificates.crt')) await copyFile('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  await writeFile(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  await run('chown', ['1000:1000', join(root, 'home/node')]);
}

/** The libraries, from wherever this machine keeps them, at the same paths in the image. */
async function copyLibraries(root: string): Promise<void> {
  for (const dir of ['/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/lib64', '/lib']) {
    if (!existsSync(dir)) continue;
    await mkdir(join(root, dir), { recursive: true });
    for (const name of await readdir(dir)) {
      if (!LIBRARIES.test(name)) continue;
      const source = join(dir, name);
      const target = join(root, dir, name);
      if (existsSync(target)) continue;
      await realpath(source).then((real) => copyFile(real, target)).catch(() => {
        // A dangling link among the system's libraries: nothing to copy.
      });
    }
  }
}
