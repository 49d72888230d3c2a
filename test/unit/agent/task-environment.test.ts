/**
 * A task's environment, layer by layer: its defaults < the platform's environment < the wired
 * variables < the instance's launch_bindings.environment < the claim data (HSP_*).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimDataOf } from '../../../src/agent/claim-data.js';
import { DeploymentRefused, taskPlansOf, toDeployment, type DeploymentInput } from '../../../src/agent/deployment.js';
import { checkedPlatformEnvironment } from '../../../src/agent/platform-environment.js';
import { records } from './orchestrator-fixtures.js';

const MARKETPLACE = 'https://marketplace.example/api';

function withLayers(input: DeploymentInput, layers: Partial<Pick<DeploymentInput, 'platformEnvironment' | 'wiredEnvironment' | 'claimData'>>): DeploymentInput {
  return { ...input, ...layers };
}

function claimData(input: DeploymentInput, productId = randomUUID(), ownerId = randomUUID()): Record<string, string> {
  return claimDataOf({ marketplaceUrl: `${MARKETPLACE}/`, platform: { id: input.platformId, user_id: ownerId }, instance: input.instance, productId });
}

function refusal(input: DeploymentInput): string {
  try {
    toDeployment(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentRefused);
    return (error as Error).message;
  }
  throw new Error('the deployment was not refused');
}

describe('the layers of a task\u2019s environment', () => {
  const task = {
    name: 'web',
    environment: [
      { key: 'A_DEFAULT_ONLY', description: '', default: 'task' },
      { key: 'B_PLATFORM', description: '', default: 'task' },
      { key: 'C_WIRED', description: '', default: 'task' },
      { key: 'D_INPUT', description: '', default: 'task' },
      { key: 'HSP_INSTANCE_ID', description: 'a build may declare it; the agent sets it', default: 'task' },
    ],
  };

  it('goes defaults < platform < wired < input < claim data, in the plans and the merged environment alike', () => {
    const base = records({ tasks: [task], environment: { D_INPUT: 'input', E_INPUT_EXTRA: 'input' } });
    const claim = claimData(base);
    const deployment = toDeployment(
      withLayers(base, {
        platformEnvironment: { B_PLATFORM: 'platform', C_WIRED: 'platform', D_INPUT: 'platform', OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' },
        wiredEnvironment: { C_WIRED: 'wired', D_INPUT: 'wired', FHIR_URL: 'http://fhir:8080' },
        claimData: claim,
      }),
    );
    const expected = {
      A_DEFAULT_ONLY: 'task',
      B_PLATFORM: 'platform',
      C_WIRED: 'wired',
      D_INPUT: 'input',
      E_INPUT_EXTRA: 'input',
      OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318',
      FHIR_URL: 'http://fhir:8080',
      ...claim,
    };
    expect(deployment.environment).toEqual(expected);
    // What the orchestrators run is what was fingerprinted.
    expect(taskPlansOf(deployment).map((plan) => plan.environment)).toEqual([expected]);
    expect(claim.HSP_INSTANCE_ID).toBe(base.instance.id);
  });

  it('lets a platform variable or a wired one satisfy a task variable marked required', () => {
    const required = { name: 'web', environment: [{ key: 'OPENTELEMETRY_COLLECTOR_URL', description: '', required: true }] };
    expect(refusal(records({ tasks: [required] }))).toContain(
      "OPENTELEMETRY_COLLECTOR_URL is required, and neither a default, the platform's environment, autowiring nor launch_bindings.environment gives it a value",
    );
    const byPlatform = toDeployment(withLayers(records({ tasks: [required] }), { platformEnvironment: { OPENTELEMETRY_COLLECTOR_URL: 'http://c:4318' } }));
    expect(byPlatform.environment.OPENTELEMETRY_COLLECTOR_URL).toBe('http://c:4318');
    const byWiring = toDeployment(withLayers(records({ tasks: [required] }), { wiredEnvironment: { OPENTELEMETRY_COLLECTOR_URL: 'http://w:4318' } }));
    expect(byWiring.environment.OPENTELEMETRY_COLLECTOR_URL).toBe('http://w:4318');
  });

  it('fingerprints every layer: a change in any one is a change to deploy', () => {
    const base = records();
    const fingerprint = (layers: Parameters<typeof withLayers>[1]) => toDeployment(withLayers(base, layers)).fingerprint;
    const claim = claimData(base);
    const plain = fingerprint({ claimData: claim });
    expect(fingerprint({ claimData: claim })).toBe(plain);
    expect(fingerprint({ claimData: claim, platformEnvironment: { X: '1' } })).not.toBe(plain);
    expect(fingerprint({ claimData: claim, wiredEnvironment: { X: '1' } })).not.toBe(plain);
    expect(fingerprint({ claimData: { ...claim, HSP_MARKETPLACE_URL: 'https://elsewhere.example' } })).not.toBe(plain);
    // Where a value comes from is not what runs: the same variables, the same fingerprint.
    expect(fingerprint({ claimData: claim, platformEnvironment: { X: '1' } })).toBe(fingerprint({ claimData: claim, wiredEnvironment: { X: '1' } }));
  });
});

describe('the claim data', () => {
  it('names the marketplace, the platform, the instance, its product and build, the claimant and where to ask for authorization', () => {
    const input = records();
    const productId = randomUUID();
    const ownerId = randomUUID();
    expect(claimData(input, productId, ownerId)).toEqual({
      HSP_MARKETPLACE_URL: MARKETPLACE,
      HSP_PLATFORM_ID: input.platformId,
      HSP_INSTANCE_ID: input.instance.id,
      HSP_PRODUCT_ID: productId,
      HSP_BUILD_ID: input.build.id,
      HSP_CLAIMANT_ID: ownerId,
      HSP_CLAIMANT_TYPE: 'User',
      HSP_AUTHORIZATION_URL: `${MARKETPLACE}/authorizations/users/${ownerId}/products/${productId}`,
    });
  });

  it('may not be set by the instance\u2019s input: one sentence naming the variable', () => {
    const input = records({ environment: { HSP_PRODUCT_ID: randomUUID() } });
    expect(refusal(input)).toBe(
      `Instance ${input.instance.id}: launch_bindings.environment sets HSP_PRODUCT_ID, but HSP_* variables are the claim data the agent gives every task.`,
    );
  });
});

describe('the platform environment option', () => {
  it('takes NAME: "value" text, and nothing for no option', () => {
    expect(checkedPlatformEnvironment({ OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' })).toEqual({ OPENTELEMETRY_COLLECTOR_URL: 'http://collector:4318' });
    expect(checkedPlatformEnvironment(undefined)).toEqual({});
  });

  it.each([
    ['a list', ['A=1'], 'The platform environment is not an object of NAME: "value".'],
    ['a lower-case name', { path: '/x' }, 'The platform environment has the variable name "path", which is not [A-Z0-9_]+.'],
    ['an HSP_* name', { HSP_MARKETPLACE_URL: 'http://evil' }, 'The platform environment sets HSP_MARKETPLACE_URL, but HSP_* variables are the claim data the agent gives every task.'],
    ['a value that is not text', { PORT: 8080 }, "The platform environment's PORT is not text."],
    ['a NUL in a value', { A: 'x\u0000y' }, "The platform environment's A contains a NUL character."],
    ['a value over 32 KiB', { A: 'x'.repeat(32 * 1024 + 1) }, "The platform environment's A is longer than 32 KiB."],
  ])('refuses %s with one sentence', (_name, environment, message) => {
    expect(() => checkedPlatformEnvironment(environment)).toThrow(message);
  });
});
