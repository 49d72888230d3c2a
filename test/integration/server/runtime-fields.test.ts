/**
 * A task's `environment`, `ports` and `options` and a dependency's `mappings` are checked when
 * written, against the specification's task schema and what autowiring reads, so that a bad
 * shape is refused with a 422 naming the field instead of surfacing at deploy time on someone
 * else's platform. Rows stored before the check stay readable. Against `hsp serve` through the
 * SDK, and raw HTTP for the JSON-string forms reference-server clients send.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';

const m = useMarketplace();

let productId: string;
let buildId: string;
let configurationId: string;
let interfaceId: string;
beforeAll(async () => {
  productId = (await m.admin.products.create({ name: `Runtime fields ${randomUUID()}` })).id;
  buildId = (await m.admin.builds.create(productId, { version: '1.0.0' })).id;
  configurationId = (await m.admin.configurations.create(productId, buildId, { name: 'default' })).id;
  interfaceId = (await m.admin.interfaces.create({ name: `FHIR ${randomUUID()}`, uri: `urn:uuid:${randomUUID()}`, version: '4.0.1' })).id;
});

/** The 422's field errors of a call that must be refused. */
async function fieldErrors(call: Promise<unknown>): Promise<Record<string, string[]>> {
  const error = await call.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).fieldErrors;
}

const createTask = (fields: Record<string, unknown>) => m.admin.tasks.create(productId, buildId, configurationId, { name: `task-${randomUUID().slice(0, 8)}`, ...fields } as never);

/** A raw request, as a reference-server client sends it (JSON-encoded strings for JSON fields). */
async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${m.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.server.adminToken!}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('task fields on write', () => {
  it('accepts the specification shapes, as JSON and as JSON-encoded strings', async () => {
    const environment = [
      { key: 'FHIR_BASE_URL', description: 'The FHIR server', required: true, pattern: '^https?://' },
      { key: 'LOG_LEVEL', description: 'How much to log', default: 'info' },
      { key: 'PORT' },
    ];
    const task = await createTask({ environment, ports: [8080, 8443], options: ['--mode', 'production'], minimum: 1, maximum: 3 });
    expect(task).toMatchObject({ environment, ports: [8080, 8443], options: ['--mode', 'production'] });

    const raw = await post(`/products/${productId}/builds/${buildId}/configurations/${configurationId}/tasks`, {
      task: { name: 'encoded', environment: JSON.stringify(environment), ports: '[80]', options: '["--verbose"]' },
    });
    expect(raw.status).toBe(201);
    expect(raw.body).toMatchObject({ environment, ports: [80], options: ['--verbose'] });
  });

  it('refuses an environment that is not a list of variables, with every problem under "environment"', async () => {
    expect(await fieldErrors(createTask({ environment: { LOG_LEVEL: 'info' } }))).toEqual({
      environment: ['must be a list of variables such as [{"key": "LOG_LEVEL", "description": "How much to log", "default": "info"}], not an object'],
    });
    const errors = await fieldErrors(
      createTask({
        environment: [
          { key: 'log_level', default: 'info' },
          { key: 'PORT', default: 8080 },
          { description: 'no name' },
          { key: 'PORT', required: 'yes', value: 'x' },
          'LOG_LEVEL=info',
        ],
      }),
    );
    expect(errors).toEqual({
      environment: [
        '[0].key "log_level" is not [A-Z0-9_]+ (upper-case letters, digits and underscores)',
        '[1].default must be text, not the number 8080',
        '[2].key is missing; every variable needs a name',
        '[3] has "value"; a variable has only key, description, required, default and pattern',
        '[3].key PORT is declared twice; each variable is declared once',
        '[3].required must be true or false, not the text "yes"',
        '[4] must be an object with a key, not the text "LOG_LEVEL=info"',
      ],
    });
    expect(await fieldErrors(createTask({ environment: [{ key: 'A'.repeat(256) }] }))).toEqual({ environment: ['[0].key "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA… is longer than 255 characters'] });
  });

  it('refuses ports that are not whole numbers from 1 to 65535, or repeat; and options that are not text', async () => {
    expect(await fieldErrors(createTask({ ports: [0, 8080, 8080, 70000, 80.5, '443'] }))).toEqual({
      ports: ['[0] 0 is not a port number from 1 to 65535', '[2] 8080 is listed twice', '[3] 70000 is not a port number from 1 to 65535', '[4] 80.5 is not a port number from 1 to 65535', '[5] "443" is not a port number from 1 to 65535'],
    });
    expect(await fieldErrors(createTask({ ports: { http: 80 } }))).toEqual({ ports: ['must be a list of port numbers such as [8080], not an object'] });
    expect(await fieldErrors(createTask({ options: '--mode production' }))).toEqual({ options: ['must be valid JSON'] });
    expect(await fieldErrors(createTask({ options: ['--replicas', 3] }))).toEqual({ options: ['[1] must be text, not the number 3'] });
    // Several fields at once: one 422 with each field's problems, the first in the message.
    const both = await createTask({ ports: [-1], options: [true] }).catch((e: unknown) => e as ValidationError);
    expect((both as ValidationError).fieldErrors).toEqual({ ports: ['[0] -1 is not a port number from 1 to 65535'], options: ['[0] must be text, not the value true'] });
    expect((both as ValidationError).message).toContain('ports [0] -1 is not a port number from 1 to 65535');
  });

  it('refuses a maximum below the minimum (0 is no maximum), on create and on update', async () => {
    expect(await fieldErrors(createTask({ minimum: 3, maximum: 2 }))).toEqual({ maximum: ['must be at least the minimum (3), or 0 for no maximum'] });
    const task = await createTask({ minimum: 2 });
    expect(task).toMatchObject({ minimum: 2, maximum: 0 });
    await expect(m.admin.tasks.update(productId, buildId, configurationId, task.id, { maximum: 4 })).resolves.toMatchObject({ maximum: 4 });
    expect(await fieldErrors(m.admin.tasks.update(productId, buildId, configurationId, task.id, { minimum: 5 }))).toEqual({ minimum: ['must be at most the maximum (4)'] });
    // A write that touches neither leaves a stored pair alone.
    await expect(m.admin.tasks.update(productId, buildId, configurationId, task.id, { label: 'Web' })).resolves.toMatchObject({ label: 'Web' });
  });

  it('checks only what is written: a row stored with a bad shape stays readable and updatable', async () => {
    const task = await createTask({});
    await m.server.db.query(`UPDATE tasks SET environment = $1, ports = $2 WHERE id = $3`, [JSON.stringify({ LEGACY: 'x' }), JSON.stringify('80'), task.id]);
    await expect(m.admin.tasks.retrieve(productId, buildId, configurationId, task.id)).resolves.toMatchObject({ environment: { LEGACY: 'x' }, ports: '80' });
    await expect(m.admin.tasks.update(productId, buildId, configurationId, task.id, { memory: 256 })).resolves.toMatchObject({ memory: 256, environment: { LEGACY: 'x' } });
    // Fixing it is a write like any other; clearing it (null) too.
    await expect(m.admin.tasks.update(productId, buildId, configurationId, task.id, { environment: [{ key: 'LEGACY', default: 'x' }], ports: null } as never)).resolves.toMatchObject({
      environment: [{ key: 'LEGACY', default: 'x' }],
      ports: null,
    });
  });
});

describe('dependency mappings on write', () => {
  const createDependency = (mappings: unknown) => m.admin.dependencies.create(productId, buildId, { interface_id: interfaceId, mappings } as never);

  it('accepts variable names mapped to sources: parameters, url/host/port, templates; as an object or a JSON string', async () => {
    const mappings = { FHIR_BASE_URL: 'url', FHIR_HOST: 'host', CLIENT_ID: 'CLIENT_ID', METADATA: 'http://{host}:{port}/fhir/metadata' };
    const dependency = await createDependency(mappings);
    expect(dependency.mappings).toEqual(mappings);
    await m.admin.dependencies.delete(productId, buildId, dependency.id);
    const raw = await post(`/products/${productId}/builds/${buildId}/dependencies`, { dependency: { interface_id: interfaceId, mappings: JSON.stringify(mappings) } });
    expect(raw).toMatchObject({ status: 201, body: { mappings } });
    await m.admin.dependencies.update(productId, buildId, String(raw.body.id), { mappings: {} });
    await m.admin.dependencies.delete(productId, buildId, String(raw.body.id));
  });

  it('refuses names that are not [A-Z0-9_]+, sources that are not text, and anything but an object', async () => {
    expect(await fieldErrors(createDependency({ fhir_url: 'url', PORT: 8080, NESTED: { a: 1 } }))).toEqual({
      mappings: [
        'has the variable name "fhir_url", which is not [A-Z0-9_]+ (upper-case letters, digits and underscores)',
        '"PORT" must map to text (a parameter name, url, host, port, or a template such as "http://{host}:{port}/fhir"), not the number 8080',
        '"NESTED" must map to text (a parameter name, url, host, port, or a template such as "http://{host}:{port}/fhir"), not an object',
      ],
    });
    expect(await fieldErrors(createDependency(['FHIR_URL']))).toEqual({ mappings: ['must be a JSON object of variable names to sources, such as {"FHIR_BASE_URL": "url"}'] });
    const raw = await post(`/products/${productId}/builds/${buildId}/dependencies`, { dependency: { interface_id: interfaceId, mappings: '"url"' } });
    expect(raw).toEqual({ status: 422, body: { mappings: ['must be a JSON object or array'] } });
    const list = await post(`/products/${productId}/builds/${buildId}/dependencies`, { dependency: { interface_id: interfaceId, mappings: '[1]' } });
    expect(list.status).toBe(422);
    expect((await m.admin.dependencies.list(productId, buildId)).items).toEqual([]);
  });
});
