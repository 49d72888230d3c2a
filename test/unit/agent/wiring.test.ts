import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { wire, type WiringInput, type WiringNode } from '../../../src/agent/wiring.js';
import type { Dependency } from '../../../src/index.js';

const FHIR = randomUUID();
const FHIR_R5 = randomUUID();
const TERMINOLOGY = randomUUID();
const names = new Map([
  [FHIR, 'FHIR R4'],
  [FHIR_R5, 'FHIR R5'],
  [TERMINOLOGY, 'Terminology'],
]);

const at = (n: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();

function dependency(interfaceId: string, options: { required?: boolean; mappings?: unknown; n?: number } = {}): Dependency {
  return {
    id: randomUUID(),
    build_id: randomUUID(),
    interface_id: interfaceId,
    required: options.required ?? true,
    mappings: options.mappings as Dependency['mappings'],
    created_at: at(options.n ?? 0),
    updated_at: at(options.n ?? 0),
  };
}

function node(options: Partial<WiringNode> & { n?: number; host?: string; port?: number; deployed?: boolean } = {}): WiringNode {
  const host = options.host ?? `provider-${Math.random().toString(36).slice(2, 8)}`;
  const port = options.port ?? 8080;
  return {
    id: options.id ?? randomUUID(),
    created_at: options.created_at ?? at(options.n ?? 0),
    dependencies: options.dependencies ?? [],
    exposures: options.exposures ?? [],
    pins: options.pins,
    endpoints: options.endpoints ?? (options.deployed === false ? [] : [{ task: 'web', port, host, url: `http://${host}:${port}` }]),
    environment: options.environment ?? {},
  };
}

/** A FHIR server: exposes FHIR R4 with the parameter FHIR_BASE_PATH, set to /fhir in its environment. */
function fhirServer(options: Parameters<typeof node>[0] = {}): WiringNode {
  return node({ exposures: [{ interfaceId: FHIR, parameters: ['FHIR_BASE_PATH'] }], environment: { FHIR_BASE_PATH: '/fhir', OTHER: 'x' }, ...options });
}

function input(dependent: WiringNode, others: WiringNode[], substitutes: Record<string, string[]> = {}): WiringInput {
  return { dependentId: dependent.id, nodes: [dependent, ...others], substitutes: new Map(Object.entries(substitutes)), interfaceNames: names };
}

function wired(result: ReturnType<typeof wire>): Record<string, string> {
  if (!result.wired) throw new Error(`expected wiring, got the refusal: ${result.reason}`);
  return result.environment;
}

function refusal(result: ReturnType<typeof wire>, dependent: WiringNode): { reason: string; waiting: boolean } {
  if (result.wired) throw new Error(`expected a refusal, got ${JSON.stringify(result.environment)}`);
  expect(result.reason).toMatch(new RegExp(`^Instance ${dependent.id}: .*\\.$`));
  expect(result.reason).not.toContain('\n');
  return result;
}

describe('wire: mappings', () => {
  it('maps a variable to one of the exposure\u2019s parameters: the provider\u2019s value of it', () => {
    const provider = fhirServer();
    const app = node({ dependencies: [dependency(FHIR, { mappings: { APP_FHIR_PATH: 'FHIR_BASE_PATH' } })] });
    expect(wired(wire(input(app, [provider])))).toEqual({ APP_FHIR_PATH: '/fhir' });
  });

  it('maps the built-ins url, host and port from the provider\u2019s first endpoint', () => {
    const provider = fhirServer({ host: 'fhir.internal', port: 8081 });
    const second = { task: 'admin', port: 9000, host: 'fhir.internal', url: 'http://fhir.internal:9000' };
    const withTwo = { ...provider, endpoints: [...provider.endpoints, second] };
    const app = node({ dependencies: [dependency(FHIR, { mappings: { FHIR_URL: 'url', FHIR_HOST: 'host', FHIR_PORT: 'port' } })] });
    expect(wired(wire(input(app, [withTwo])))).toEqual({ FHIR_URL: 'http://fhir.internal:8081', FHIR_HOST: 'fhir.internal', FHIR_PORT: '8081' });
  });

  it('fills a template\u2019s {placeholders} with parameters and built-ins', () => {
    const provider = fhirServer({ host: 'fhir.internal', port: 8081 });
    const app = node({ dependencies: [dependency(FHIR, { mappings: { FHIR_ENDPOINT: 'http://{host}:{port}{FHIR_BASE_PATH}/metadata' } })] });
    expect(wired(wire(input(app, [provider])))).toEqual({ FHIR_ENDPOINT: 'http://fhir.internal:8081/fhir/metadata' });
  });

  it('gives each parameter under its own name when the mappings are absent, null or empty', () => {
    const provider = fhirServer();
    for (const mappings of [undefined, null, {}, '', '{}']) {
      const app = node({ dependencies: [dependency(FHIR, { mappings })] });
      expect(wired(wire(input(app, [provider]))), JSON.stringify(mappings)).toEqual({ FHIR_BASE_PATH: '/fhir' });
    }
  });

  it('accepts the mappings as a JSON-encoded string, as the reference server stores them', () => {
    const provider = fhirServer({ host: 'h', port: 1 });
    const app = node({ dependencies: [dependency(FHIR, { mappings: JSON.stringify({ FHIR_URL: 'url' }) })] });
    expect(wired(wire(input(app, [provider])))).toEqual({ FHIR_URL: 'http://h:1' });
  });

  it('leaves a variable unset when the provider has no value for the parameter it names (a task that requires it says so)', () => {
    const provider = fhirServer({ environment: {} });
    const app = node({ dependencies: [dependency(FHIR, { mappings: { PATH_ALONE: 'FHIR_BASE_PATH', WITH_URL: '{url}{FHIR_BASE_PATH}', URL: 'url' } })] });
    expect(wired(wire(input(app, [provider])))).toEqual({ URL: provider.endpoints[0]!.url });
  });

  it('never maps a parameter named HSP_* by default: those names are the claim data', () => {
    const provider = node({ exposures: [{ interfaceId: FHIR, parameters: ['HSP_SECRET', 'FHIR_BASE_PATH'] }], environment: { HSP_SECRET: 'x', FHIR_BASE_PATH: '/fhir' } });
    const app = node({ dependencies: [dependency(FHIR)] });
    expect(wired(wire(input(app, [provider])))).toEqual({ FHIR_BASE_PATH: '/fhir' });
  });
});

describe('wire: choosing the provider', () => {
  it('takes the oldest deployed provider (created_at, then id), whatever the listing order', () => {
    const older = fhirServer({ n: 1, host: 'older' });
    const newer = fhirServer({ n: 2, host: 'newer' });
    const undeployedOldest = fhirServer({ n: 0, deployed: false });
    const app = node({ n: 5, dependencies: [dependency(FHIR, { mappings: { FHIR_HOST: 'host' } })] });
    expect(wired(wire(input(app, [newer, undeployedOldest, older])))).toEqual({ FHIR_HOST: 'older' });
    const twinA = fhirServer({ id: '00000000-0000-4000-8000-00000000000a', n: 1, host: 'a' });
    const twinB = fhirServer({ id: '00000000-0000-4000-8000-00000000000b', n: 1, host: 'b' });
    expect(wired(wire(input(app, [twinB, twinA])))).toEqual({ FHIR_HOST: 'a' });
  });

  it('takes the provider launch_bindings.wiring pins, even a newer one', () => {
    const older = fhirServer({ n: 1, host: 'older' });
    const pinned = fhirServer({ n: 2, host: 'pinned' });
    const app = node({ n: 5, pins: { [FHIR.toUpperCase()]: pinned.id }, dependencies: [dependency(FHIR, { mappings: { FHIR_HOST: 'host' } })] });
    const result = wire(input(app, [older, pinned]));
    expect(wired(result)).toEqual({ FHIR_HOST: 'pinned' });
    expect(result.wired && result.providers).toEqual({ [FHIR]: pinned.id });
  });

  it('waits for a pinned provider that is not deployed, rather than taking another', () => {
    const deployed = fhirServer({ n: 1 });
    const pinned = fhirServer({ n: 2, deployed: false });
    const app = node({ n: 5, pins: { [FHIR]: pinned.id }, dependencies: [dependency(FHIR)] });
    const { reason, waiting } = refusal(wire(input(app, [deployed, pinned])), app);
    expect(reason).toBe(`Instance ${app.id}: it needs interface "FHIR R4" (required) from instance ${pinned.id}, as launch_bindings.wiring says, and that instance is not deployed on this platform or does not expose it.`);
    expect(waiting).toBe(true);
  });

  it('takes an instance exposing a surrogate\u2019s substitute, the interface itself first', () => {
    const r5 = node({ n: 1, host: 'r5', exposures: [{ interfaceId: FHIR_R5, parameters: [] }] });
    const app = node({ n: 5, dependencies: [dependency(FHIR, { mappings: { FHIR_HOST: 'host' } })] });
    expect(wired(wire(input(app, [r5], { [FHIR]: [FHIR_R5] })))).toEqual({ FHIR_HOST: 'r5' });
    const r4 = fhirServer({ n: 2, host: 'r4' });
    expect(wired(wire(input(app, [r5, r4], { [FHIR]: [FHIR_R5] })))).toEqual({ FHIR_HOST: 'r5' });
    // Without the surrogate, the R5 server is no provider of R4.
    expect(refusal(wire(input(app, [r5])), app).waiting).toBe(true);
  });

  it('never wires an instance to itself', () => {
    const selfish = node({ exposures: [{ interfaceId: FHIR, parameters: [] }], dependencies: [dependency(FHIR)] });
    expect(refusal(wire(input(selfish, [])), selfish).reason).toContain('no deployed instance on this platform exposes it');
  });
});

describe('wire: missing providers', () => {
  it('refuses a required dependency with no deployed provider, in one sentence, to be tried again', () => {
    const app = node({ dependencies: [dependency(FHIR)] });
    const undeployed = fhirServer({ deployed: false });
    const { reason, waiting } = refusal(wire(input(app, [undeployed])), app);
    expect(reason).toBe(`Instance ${app.id}: it needs interface "FHIR R4" (required), and no deployed instance on this platform exposes it.`);
    expect(waiting).toBe(true);
  });

  it('leaves an optional dependency without a provider unset', () => {
    const provider = fhirServer({ host: 'f' });
    const app = node({ dependencies: [dependency(FHIR, { mappings: { FHIR_HOST: 'host' } }), dependency(TERMINOLOGY, { required: false, mappings: { TX_URL: 'url' }, n: 1 })] });
    expect(wired(wire(input(app, [provider])))).toEqual({ FHIR_HOST: 'f' });
  });

  it('names the interface by its id when its name is unknown', () => {
    const unnamed = randomUUID();
    const app = node({ dependencies: [dependency(unnamed)] });
    expect(refusal(wire(input(app, [])), app).reason).toContain(`interface "${unnamed}" (required)`);
  });
});

describe('wire: cycles', () => {
  it('refuses a cycle of required dependencies, naming each step', () => {
    const a = node({ n: 1, deployed: false, exposures: [{ interfaceId: TERMINOLOGY, parameters: [] }], dependencies: [dependency(FHIR)] });
    const b = node({ n: 2, deployed: false, exposures: [{ interfaceId: FHIR, parameters: [] }], dependencies: [dependency(TERMINOLOGY)] });
    const { reason } = refusal(wire(input(a, [b])), a);
    expect(reason).toBe(
      `Instance ${a.id}: its required dependencies form a cycle (${a.id} needs "FHIR R4" from ${b.id}, ${b.id} needs "Terminology" from ${a.id}), so none of them can be deployed first.`,
    );
    // Even when both already run (deployed before the dependencies were added).
    const deployedA = { ...a, endpoints: [{ task: 'web', port: 1, host: 'a', url: 'http://a:1' }] };
    const deployedB = { ...b, endpoints: [{ task: 'web', port: 1, host: 'b', url: 'http://b:1' }] };
    expect(refusal(wire(input(deployedB, [deployedA])), deployedB).reason).toContain('form a cycle');
  });

  it('finds a longer cycle, and none when an optional dependency closes the loop', () => {
    const a = node({ n: 1, exposures: [{ interfaceId: TERMINOLOGY, parameters: [] }], dependencies: [dependency(FHIR)] });
    const b = node({ n: 2, exposures: [{ interfaceId: FHIR, parameters: [] }], dependencies: [dependency(FHIR_R5)] });
    const c = node({ n: 3, exposures: [{ interfaceId: FHIR_R5, parameters: [] }], dependencies: [dependency(TERMINOLOGY)] });
    expect(refusal(wire(input(a, [b, c])), a).reason).toContain(`${c.id} needs "Terminology" from ${a.id}`);
    const relaxed = { ...c, dependencies: [dependency(TERMINOLOGY, { required: false })] };
    expect(wire(input(a, [b, relaxed])).wired).toBe(true);
  });

  it('finds no cycle when the provider actually chosen breaks it', () => {
    // b depends on TERMINOLOGY, which both a and the older t expose: b would be wired to t.
    const t = node({ n: 0, exposures: [{ interfaceId: TERMINOLOGY, parameters: [] }] });
    const a = node({ n: 1, exposures: [{ interfaceId: TERMINOLOGY, parameters: [] }], dependencies: [dependency(FHIR)] });
    const b = node({ n: 2, exposures: [{ interfaceId: FHIR, parameters: [] }], dependencies: [dependency(TERMINOLOGY)] });
    expect(wire(input(a, [b, t])).wired).toBe(true);
    // Unless b pins a.
    const pinning = { ...b, pins: { [TERMINOLOGY]: a.id } };
    expect(refusal(wire(input(a, [pinning, t])), a).reason).toContain('form a cycle');
  });

  it('does not loop on a cycle that does not come back to the dependent', () => {
    const b = node({ n: 2, exposures: [{ interfaceId: FHIR, parameters: [] }], dependencies: [dependency(FHIR_R5)] });
    const c = node({ n: 3, exposures: [{ interfaceId: FHIR_R5, parameters: [] }], dependencies: [dependency(FHIR)] });
    const app = node({ n: 4, dependencies: [dependency(FHIR, { mappings: { H: 'host' } })] });
    expect(wired(wire(input(app, [b, c])))).toEqual({ H: b.endpoints[0]!.host });
  });
});

describe('wire: bad records, one sentence each, not retried', () => {
  const cases: [string, Partial<WiringNode> | ((provider: WiringNode) => Partial<WiringNode>), string][] = [
    ['mappings that are not JSON', { dependencies: [dependency(FHIR, { mappings: '{"A":' })] }, 'its dependency on interface "FHIR R4" has mappings that are not JSON'],
    ['mappings that are a list', { dependencies: [dependency(FHIR, { mappings: ['url'] })] }, 'has mappings that are not an object of "ENV_NAME": "source"'],
    ['a lower-case variable name', { dependencies: [dependency(FHIR, { mappings: { fhir_url: 'url' } })] }, 'maps the variable name "fhir_url", which is not [A-Z0-9_]+'],
    ['a variable name with a shell in it', { dependencies: [dependency(FHIR, { mappings: { 'X;reboot': 'url' } })] }, 'maps the variable name "X;reboot"'],
    ['an HSP_* name', { dependencies: [dependency(FHIR, { mappings: { HSP_INSTANCE_ID: 'url' } })] }, 'maps HSP_INSTANCE_ID, but HSP_* variables are the claim data the agent gives every task'],
    ['a source that is not text', { dependencies: [dependency(FHIR, { mappings: { FHIR_PORT: 8080 } })] }, 'maps FHIR_PORT to 8080, which is not a parameter name, url, host, port or a template of them'],
    ['an unknown source', { dependencies: [dependency(FHIR, { mappings: { FHIR_URL: 'URL' } })] }, 'maps FHIR_URL to "URL", and "URL" is neither a parameter of the exposure nor url, host or port'],
    ['an unknown placeholder', { dependencies: [dependency(FHIR, { mappings: { FHIR_URL: 'http://{hots}:{port}' } })] }, 'and "hots" is neither a parameter'],
    ['braces that do not pair up', { dependencies: [dependency(FHIR, { mappings: { FHIR_URL: 'http://{host:{port}' } })] }, 'a template whose braces do not pair up as {name}'],
    ['a parameter of another exposure', { dependencies: [dependency(FHIR, { mappings: { X: 'OTHER' } })] }, '"OTHER" is neither a parameter'],
    ['two dependencies setting one variable', { dependencies: [dependency(FHIR, { mappings: { URL: 'url' } }), dependency(TERMINOLOGY, { mappings: { URL: 'url' }, n: 1 })] }, 'its dependencies on interfaces "FHIR R4" and "Terminology" both set URL'],
    ['launch_bindings.wiring that is a list', { pins: ['x'], dependencies: [dependency(FHIR)] }, 'launch_bindings.wiring is not an object of "<interface id>": "<instance id>"'],
    ['a pinned key that is not an interface id', { pins: { 'FHIR R4': randomUUID() }, dependencies: [dependency(FHIR)] }, 'launch_bindings.wiring has the key "FHIR R4", which is not an interface id (a UUID)'],
    ['a pinned value that is not an instance id', { pins: { [FHIR]: '../x' }, dependencies: [dependency(FHIR)] }, `launch_bindings.wiring pins interface ${FHIR} to "../x", which is not an instance id (a UUID)`],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    const provider = fhirServer();
    const terminology = node({ exposures: [{ interfaceId: TERMINOLOGY, parameters: [] }] });
    const app = node({ n: 9, ...(typeof change === 'function' ? change(provider) : change) });
    const { reason, waiting } = refusal(wire(input(app, [provider, terminology])), app);
    expect(reason).toContain(expected);
    expect(waiting).toBe(false);
  });

  it('answers a shape nobody foresaw with a sentence, not an exception', () => {
    const app = node({ dependencies: [null as unknown as Dependency, dependency(FHIR)] });
    const odd = { ...fhirServer(), exposures: [{ interfaceId: FHIR, parameters: [7 as unknown as string, 'FHIR_BASE_PATH'] }] };
    expect(wired(wire(input(app, [odd])))).toEqual({ FHIR_BASE_PATH: '/fhir' });
    const broken = { ...app, dependencies: 5 as unknown as Dependency[] };
    const result = wire(input(broken, []));
    expect(result.wired).toBe(false);
    expect(!result.wired && result.reason).toMatch(/^Instance .*: its dependencies could not be read \(.*\)\.$/);
  });
});
