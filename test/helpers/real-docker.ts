/**
 * A real Docker Engine and OCI registry for a test file, with the test images in the registry
 * (busybox, no network needed). `scripts/docker-sandbox.sh start` makes them and prints the
 * HSP_TEST_* variables read here; `.ci/run` runs it for the whole suite. Without those
 * variables, a file starts a sandbox of its own when this machine can (root, with Debian's
 * docker.io, docker-registry and busybox-static), and is skipped with the reason otherwise.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { repoRoot } from './hsp-process.js';

const SANDBOX_SCRIPT = join(repoRoot, 'scripts', 'docker-sandbox.sh');
const VARIABLES = ['HSP_TEST_DOCKER_HOST', 'HSP_TEST_REGISTRY', 'HSP_TEST_IMAGE_HTTPD', 'HSP_TEST_IMAGE_BROKEN'] as const;

/** An image in the test registry, split as a build records it. */
export interface TestImage {
  /** `127.0.0.1:PORT/hsp-test/httpd:<hash>` */
  reference: string;
  /** `127.0.0.1:PORT/hsp-test/httpd`, a build's `container_repository`. */
  repository: string;
  /** A build's `container_tag`. */
  tag: string;
}

export interface RealDocker {
  /** What `--docker-host` takes: `unix:///…/docker.sock`. */
  host: string;
  /** `127.0.0.1:PORT` */
  registry: string;
  /** Serves HTTP on 8080 (busybox httpd); `/cgi-bin/env` prints the container's environment. */
  httpd: TestImage;
  /** Its command does not exist: the Engine refuses to start it. */
  broken: TestImage;
  /** One Engine API call, unversioned (the Engine answers in its own newest version): status and parsed body. */
  api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /**
   * Runs `cmd` inside a running container (`docker exec`, through the Engine API) and resolves
   * with its exit code and output (stdout and stderr together, as a terminal shows them).
   */
  exec(containerId: string, cmd: string[]): Promise<{ exitCode: number; output: string }>;
}

/** Why the docker tests cannot run here, or undefined when they can. */
export const realDockerSkipReason: string | undefined = skipReason();

function skipReason(): string | undefined {
  if (VARIABLES.every((name) => process.env[name])) return undefined;
  const missing = ['dockerd', 'docker', 'docker-registry', 'busybox', 'ip', 'curl'].filter((tool) => !onPath(tool));
  if (missing.length > 0) {
    return `no Docker Engine: run \`eval "$(scripts/docker-sandbox.sh start)"\` first, or install ${missing.join(', ')} (Debian: docker.io, docker-registry, busybox-static)`;
  }
  if (process.getuid?.() !== 0) return 'no Docker Engine: run `eval "$(scripts/docker-sandbox.sh start)"` first (the engine needs root)';
  return undefined;
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, tool)));
}

/**
 * The engine and registry for this file. Use with `describe.skipIf(realDockerSkipReason)`:
 * the handle is filled in `beforeAll`.
 */
export function useRealDocker(): RealDocker {
  const handle = {} as RealDocker;
  let client: Client | undefined;
  let ownSandbox: string | undefined;
  beforeAll(async () => {
    if (realDockerSkipReason) return;
    let env: Record<string, string | undefined> = process.env;
    if (!VARIABLES.every((name) => process.env[name])) {
      // No sandbox for the whole run: one for this file, gone after it.
      const { stdout } = await promisify(execFile)('bash', [SANDBOX_SCRIPT, 'start'], { timeout: 120_000 });
      // `export NAME=value` lines, the value escaped by the shell's `printf %q` (backslashes).
      env = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name!, value!.replace(/\\(.)/g, '$1')]));
      ownSandbox = env.HSP_DOCKER_SANDBOX;
    }
    const host = env.HSP_TEST_DOCKER_HOST!;
    const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
    client = new Client(socketPath ? 'http://localhost' : host.replace(/^tcp:/, 'http:'), socketPath ? { socketPath } : {});
    const engine = client;
    Object.assign(handle, {
      host,
      registry: env.HSP_TEST_REGISTRY!,
      httpd: testImage(env.HSP_TEST_IMAGE_HTTPD!),
      broken: testImage(env.HSP_TEST_IMAGE_BROKEN!),
      async api(method, path, body?) {
        const response = await engine.request({
          method,
          path,
          headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.body.text();
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // Not JSON: the text is the answer.
        }
        return { status: response.statusCode, body: parsed };
      },
      async exec(containerId, cmd) {
        const created = await handle.api('POST', `/containers/${containerId}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
        if (created.status !== 201) throw new Error(`docker exec ${cmd.join(' ')} in ${containerId.slice(0, 12)}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
        const id = (created.body as { Id: string }).Id;
        // With a TTY the output comes as it is, not in the multiplexed frames of separate streams.
        const started = await handle.api('POST', `/exec/${id}/start`, { Detach: false, Tty: true });
        if (started.status !== 200) throw new Error(`docker exec ${cmd.join(' ')}: HTTP ${started.status} ${JSON.stringify(started.body)}`);
        const output = typeof started.body === 'string' ? started.body : started.body === undefined ? '' : JSON.stringify(started.body);
        // The output ends as the command does; the Engine records its exit code a moment later.
        for (const deadline = Date.now() + 10_000; ; ) {
          const { body } = await handle.api('GET', `/exec/${id}/json`);
          const state = body as { Running: boolean; ExitCode: number | null };
          if (!state.Running && state.ExitCode !== null) return { exitCode: state.ExitCode, output };
          if (Date.now() > deadline) throw new Error(`docker exec ${cmd.join(' ')}: still running after its output ended`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    } satisfies RealDocker);
  }, 180_000);
  afterAll(async () => {
    await client?.close();
    if (ownSandbox) await promisify(execFile)('bash', [SANDBOX_SCRIPT, 'stop', ownSandbox], { timeout: 60_000 });
  }, 90_000);
  return handle;
}

function testImage(reference: string): TestImage {
  const colon = reference.lastIndexOf(':');
  return { reference, repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}
