/**
 * Builds with a pinned image digest (`container_digest`): the agent runs `name@digest`, never
 * the tag; the docker orchestrator pulls by digest and refuses an image whose digest differs;
 * exec hooks receive the digest; a malformed or contradictory digest is refused in one sentence.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentRefused, toDeployment, type DeploymentInput } from '../../../src/agent/deployment.js';
import { imageOfBuild } from '../../../src/agent/image-reference.js';
import { DockerOrchestrator } from '../../../src/agent/orchestrators/docker.js';
import { ExecOrchestrator } from '../../../src/agent/orchestrators/exec.js';
import { OrchestratorError } from '../../../src/agent/orchestrators/orchestrator-error.js';
import { FakeDocker } from '../../helpers/fake-docker.js';
import { records } from './orchestrator-fixtures.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function pinned(digest: unknown, image?: { repository: string; tag: string }): DeploymentInput {
  const input = records(image ? { image } : {});
  (input.build as unknown as Record<string, unknown>).container_digest = digest;
  return input;
}

describe('the image of a build with container_digest', () => {
  it('is name@digest, with the tag kept as information', () => {
    const image = imageOfBuild({ container_repository: '127.0.0.1:5000/acme/app', container_tag: '1.0', container_digest: A });
    expect(image).toEqual({ domain: '127.0.0.1:5000', path: 'acme/app', name: '127.0.0.1:5000/acme/app', tag: '1.0', digest: A, reference: `127.0.0.1:5000/acme/app@${A}` });
  });

  it('is the tag alone when the build records no digest (null, absent or empty)', () => {
    for (const container_digest of [null, undefined, '']) {
      expect(imageOfBuild({ container_repository: 'acme/app', container_tag: '1.0', container_digest }).reference).toBe('acme/app:1.0');
    }
  });

  it('accepts a tag that is the same digest, and refuses one that is another', () => {
    expect(imageOfBuild({ container_repository: 'acme/app', container_tag: A, container_digest: A }).reference).toBe(`acme/app@${A}`);
    expect(() => toDeployment(pinned(A, { repository: 'acme/app', tag: B }))).toThrow(new RegExp(`build .*: the build's image acme/app@${B} pins ${B}, but its container_digest is ${A}\\.$`));
  });

  it('refuses a container_digest that is not sha256 and 64 lowercase hex digits, in one sentence', () => {
    for (const bad of [`sha256:${'A'.repeat(64)}`, 'sha256:abc', `sha512:${'a'.repeat(128)}`, 'latest', 42]) {
      let refused: unknown;
      try {
        toDeployment(pinned(bad));
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DeploymentRefused);
      expect((refused as Error).message).toMatch(/container_digest .* is not a SHA-256 digest \("sha256:" and 64 lowercase hexadecimal digits\)\.$/);
    }
  });

  it('changes the fingerprint when the digest changes, so agents redeploy a build pinned anew', () => {
    const input = pinned(A);
    const first = toDeployment(input);
    const again = toDeployment({ ...input, build: { ...input.build, container_digest: A } });
    const moved = toDeployment({ ...input, build: { ...input.build, container_digest: B } });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(moved.fingerprint).not.toBe(first.fingerprint);
  });
});

describe('the docker orchestrator with a pinned build', () => {
  let engine: FakeDocker;
  let docker: DockerOrchestrator;
  let logs: { event: string; fields?: Record<string, unknown> }[];

  beforeEach(async () => {
    engine = await FakeDocker.start();
    logs = [];
  });
  afterEach(async () => {
    await docker?.close();
    await engine.close();
  });

  async function connect(platformId: string) {
    docker = await DockerOrchestrator.connect({ dockerHost: engine.host, platformId, log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }) });
    return docker;
  }

  it('pulls by digest, checks it, and runs name@digest', async () => {
    const deployment = toDeployment(pinned(A, { repository: '127.0.0.1:5000/acme/app', tag: '1.0' }));
    await (await connect(deployment.platformId)).deploy(deployment);

    expect(engine.callsTo('POST', /^\/images\/create$/).map((c) => c.query)).toEqual([{ fromImage: '127.0.0.1:5000/acme/app', tag: A }]);
    expect(engine.callsTo('GET', /^\/images\/.+\/json$/).map((c) => decodeURIComponent(c.path))).toEqual([`/images/127.0.0.1:5000/acme/app@${A}/json`]);
    const creates = engine.callsTo('POST', /^\/containers\/create$/);
    expect(creates.map((c) => (c.body as { Image: string }).Image)).toEqual([`127.0.0.1:5000/acme/app@${A}`]);
    expect(engine.running()).toHaveLength(1);
  });

  it('refuses an image whose digest differs from the build\u2019s, naming both, and runs nothing', async () => {
    const deployment = toDeployment(pinned(A, { repository: '127.0.0.1:5000/acme/app', tag: '1.0' }));
    // An Engine (or a mirror behind it) that does not verify what it pulled holds another image under the pinned reference.
    engine.repoDigests.set(`127.0.0.1:5000/acme/app@${A}`, [`127.0.0.1:5000/acme/app@${B}`]);
    const orchestrator = await connect(deployment.platformId);

    const refusal = await orchestrator.deploy(deployment).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(OrchestratorError);
    expect((refusal as Error).message).toBe(`Refused to run 127.0.0.1:5000/acme/app: the build pins ${A}, but the image Docker pulled has ${B}.`);
    expect(engine.callsTo('POST', /^\/containers\/create$/)).toEqual([]);
    expect(engine.containers.size).toBe(0);
  });

  it('refuses when the Engine holds no image under the pinned reference after the pull', async () => {
    const deployment = toDeployment(pinned(A, { repository: 'acme/app', tag: '1.0' }));
    const orchestrator = await connect(deployment.platformId);
    engine.failOn('GET', /^\/images\/.+\/json$/, 404, 'no such image');
    await expect(orchestrator.deploy(deployment)).rejects.toThrow(`Refused to run acme/app@${A}: Docker reported the pull done but holds no image with that digest.`);
    expect(engine.containers.size).toBe(0);
  });

  it('does not inspect images of builds without a digest (nothing to compare)', async () => {
    const deployment = toDeployment(records());
    await (await connect(deployment.platformId)).deploy(deployment);
    expect(engine.callsTo('POST', /^\/images\/create$/).map((c) => c.query)).toEqual([{ fromImage: 'example/web', tag: '1.2.3' }]);
    expect(engine.callsTo('GET', /^\/images\//)).toEqual([]);
    expect(engine.running()).toHaveLength(1);
  });
});

describe('an exec hook deploying a pinned build', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hsp-pinned-exec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('receives name@digest as the image and the digest on its own', async () => {
    const file = join(dir, 'hook.mjs');
    writeFileSync(
      file,
      `let d = ''; process.stdin.on('data', (c) => (d += c)); process.stdin.on('end', () => { const { deployment } = JSON.parse(d); process.stdout.write(JSON.stringify({ seen: { image: deployment.image, image_digest: deployment.image_digest, build_digest: deployment.build.container_digest } })); });\n`,
    );
    const deployment = toDeployment(pinned(A, { repository: 'ghcr.io/acme/app', tag: '1.0' }));
    const hook = new ExecOrchestrator({ argv: [process.execPath, file], platformId: deployment.platformId, log: () => undefined, env: { PATH: process.env.PATH } });
    const report = await hook.deploy(deployment);
    expect(report.seen).toEqual({ image: `ghcr.io/acme/app@${A}`, image_digest: A, build_digest: A });
  });
});
