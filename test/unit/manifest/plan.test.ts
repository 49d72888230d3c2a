import { describe, expect, it } from 'vitest';
import type { Build, Configuration, Dependency, Exposure, Interface, License, Product, ProductLicense, Screenshot, Task } from '../../../src/index.js';
import { applySteps } from '../../../src/manifest/apply.js';
import { defaultConfiguration, isDefaultConfiguration } from '../../../src/manifest/conventions.js';
import { fieldChanges } from '../../../src/manifest/field-changes.js';
import type { LocalFiles } from '../../../src/manifest/local-files.js';
import type { Manifest } from '../../../src/manifest/model.js';
import { planDocument } from '../../../src/manifest/plan-document.js';
import { planPublish, summarize, type PlannedAction } from '../../../src/manifest/plan.js';
import { renderPlan } from '../../../src/manifest/render-plan.js';
import { isUuid, stableId } from '../../../src/manifest/stable-id.js';
import type { MarketplaceState } from '../../../src/manifest/state.js';

const PRODUCT_ID = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const BUILD_ID = '6fa459ea-ee8a-4ca4-894e-db77e160355e';
const LOGO = '/project/logo.png';
const SHOT = '/project/home.png';
const T0 = '2024-01-01T00:00:00.000Z';

function manifest(change: (m: Manifest) => void = () => {}): Manifest {
  const m: Manifest = {
    file: 'hsp.yaml',
    format: 'hsp.yaml',
    product: {
      id: PRODUCT_ID,
      name: 'Growth Charts',
      description: 'Plots children’s growth.',
      mimeType: 'application/smart.v1',
      licenses: [{ name: 'MIT', url: 'https://opensource.org/licenses/MIT' }],
      logo: LOGO,
      screenshots: [{ caption: 'Home', file: SHOT }],
    },
    build: {
      version: '1.0.0',
      image: { repository: 'example/growth', tag: '1.0.0' },
      configurations: [
        { name: 'small', default: false, tasks: [{ name: 'web', options: [], ports: [80], environment: [], memoryMaximum: 256 }] },
        {
          name: 'default',
          default: true,
          tasks: [
            { name: 'web', options: [], ports: [80], environment: [{ key: 'FHIR_URL', description: 'The FHIR server.' }], memoryMinimum: 128, memoryMaximum: 512, instancesMinimum: 1 },
            { name: 'nightly', options: ['--compact'], ports: [], environment: [], cron: '0 3 * * *' },
          ],
        },
      ],
      exposures: [{ interface: 'FHIR R4' }],
      dependencies: [{ interface: { name: 'CDS Hooks', uri: 'https://cds-hooks.hl7.org/2.0', version: '2.0' }, required: true }],
    },
  };
  change(m);
  return m;
}

const local = (change: Partial<LocalFiles> = {}): LocalFiles => ({ digests: new Map([[LOGO, 'a'.repeat(64)], [SHOT, 'b'.repeat(64)]]), errors: [], ...change });

const record = { created_at: T0, updated_at: T0 };
const fhir: Interface = { id: '0b0b0b0b-0000-4000-8000-000000000001', name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1', ordinal: null, ...record };
const mit: License = { id: '0c0c0c0c-0000-4000-8000-000000000001', name: 'MIT', url: 'https://opensource.org/licenses/MIT', ...record };
const empty: MarketplaceState = { licenses: [mit], interfaces: [fhir] };

/** The marketplace after the manifest above was published in full. */
function published(): MarketplaceState {
  const first = planPublish(manifest(), empty, local());
  const created = (resource: string, name?: string) => first.actions.find((a) => a.resource === resource && (name === undefined || a.name === name))!;
  const at = (seconds: number) => ({ created_at: new Date(Date.parse(T0) + seconds * 1000).toISOString(), updated_at: T0 });
  const fieldsOf = (a: PlannedAction) => a.fields as Record<string, unknown>;
  const product = { ...fieldsOf(created('product')), user_id: 'u', published_at: null, visible_at: null, ...record } as unknown as Product;
  const configurations = first.actions
    .filter((a) => a.resource === 'configuration')
    .map((a, i) => ({
      record: { ...(fieldsOf(a) as { id: string; name: string }), build_id: BUILD_ID, ...at(i) } as Configuration,
      tasks: first.actions.filter((t) => t.resource === 'task' && t.parents[2] === a.id).map((t) => ({ ...fieldsOf(t), configuration_id: a.id, ...record }) as unknown as Task),
    }));
  const cdsHooks = created('interface', 'CDS Hooks');
  return {
    licenses: [mit],
    interfaces: [fhir, { ...(fieldsOf(cdsHooks) as { id: string; name: string; uri: string; version: string }), ordinal: null, ...record }],
    product: {
      record: product,
      matchedBy: 'id',
      logoDigest: 'a'.repeat(64),
      productLicenses: [{ ...(fieldsOf(created('product_license')) as { id: string; license_id: string }), product_id: PRODUCT_ID, external_id: null, ...record } as ProductLicense],
      screenshots: [{ record: { ...(fieldsOf(created('screenshot')) as { id: string; caption: string }), product_id: PRODUCT_ID, ...record } as Screenshot, digest: 'b'.repeat(64) }],
      build: {
        record: { ...fieldsOf(created('build')), product_id: PRODUCT_ID, release_notes: null, permissions: {}, validated_at: null, published_at: null, asset_available: false, ...record } as unknown as Build,
        configurations,
        exposures: [{ ...(fieldsOf(created('exposure')) as { id: string; interface_id: string }), build_id: first.build.id, ...record } as Exposure],
        dependencies: [{ ...(fieldsOf(created('dependency')) as { id: string; interface_id: string }), build_id: first.build.id, mappings: {}, ...record } as Dependency],
      },
      buildMatchedBy: 'version',
    },
  };
}

const kinds = (actions: PlannedAction[]) => actions.map((a) => `${a.action} ${a.resource} ${a.name}`);

describe('the publish plan', () => {
  it('creates everything on an empty marketplace, parents before children, the default configuration first', () => {
    const plan = planPublish(manifest(), empty, local());
    expect(plan.errors).toEqual([]);
    expect(kinds(plan.actions)).toEqual([
      'create product Growth Charts',
      'unchanged license MIT',
      'create product_license MIT',
      'create logo logo.png',
      'create screenshot Home',
      'create build 1.0.0',
      'create configuration default',
      'create task web',
      'create task nightly',
      'create configuration small',
      'create task web',
      'unchanged interface FHIR R4',
      'create exposure FHIR R4',
      'create interface CDS Hooks',
      'create dependency CDS Hooks',
    ]);
    const byName = (resource: string, name: string) => plan.actions.find((a) => a.resource === resource && a.name === name)!;
    const product = byName('product', 'Growth Charts');
    const build = byName('build', '1.0.0');
    const defaults = byName('configuration', 'default');
    expect(product).toMatchObject({ id: PRODUCT_ID, after: [], fields: { id: PRODUCT_ID, name: 'Growth Charts', mime_type: 'application/smart.v1' } });
    expect(build.after).toEqual([product.key]);
    expect(build.fields).toEqual({ id: build.id, version: '1.0.0', container_repository: 'example/growth', container_tag: '1.0.0' });
    expect(defaults.after).toEqual([build.key]);
    // Agents deploy the first configuration, so the other one waits for the default.
    expect(byName('configuration', 'small').after).toEqual([build.key, defaults.key]);
    const tasks = plan.actions.filter((a) => a.resource === 'task' && a.parents[2] === defaults.id);
    expect(tasks.map((t) => t.after)).toEqual([[defaults.key], [defaults.key]]);
    expect(tasks[0]!.fields).toEqual({
      id: tasks[0]!.id,
      name: 'web',
      minimum: 1,
      memory: 512,
      options: [],
      ports: [80],
      environment: [{ key: 'FHIR_URL', description: 'The FHIR server.' }],
    });
    expect(byName('exposure', 'FHIR R4')).toMatchObject({ after: [build.key], fields: { interface_id: fhir.id } });
    const cds = byName('interface', 'CDS Hooks');
    expect(cds.fields).toEqual({ id: cds.id, name: 'CDS Hooks', uri: 'https://cds-hooks.hl7.org/2.0', version: '2.0' });
    expect(byName('dependency', 'CDS Hooks')).toMatchObject({ after: [build.key, cds.key], fields: { interface_id: cds.id, required: true } });
    expect(summarize(plan.actions)).toEqual({ create: 13, update: 0, delete: 0, unchanged: 2 });
  });

  it('derives the same ids every time: from the parent and the natural key, shaped as UUIDv4', () => {
    const one = planPublish(manifest(), empty, local());
    const two = planPublish(manifest(), empty, local());
    expect(two.actions.map((a) => a.id)).toEqual(one.actions.map((a) => a.id));
    for (const action of one.actions) expect(action.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const build = one.actions.find((a) => a.resource === 'build')!;
    expect(build.id).toBe(stableId(PRODUCT_ID, 'build', '1.0.0'));
    // The two "web" tasks live in different configurations, so they get different ids.
    const webs = one.actions.filter((a) => a.resource === 'task' && a.name === 'web');
    expect(new Set(webs.map((w) => w.id)).size).toBe(2);
    expect(stableId('a', 'bc')).not.toBe(stableId('ab', 'c'));
    expect(isUuid(stableId('x'))).toBe(true);
    // A manifest without a product id gets one from the name.
    const anonymous = planPublish(manifest((m) => delete m.product.id), empty, local());
    expect(anonymous.product.id).toBe(stableId('product', 'Growth Charts'));
  });

  it('leaves everything unchanged once the marketplace matches, and reads a file by its digest', () => {
    const plan = planPublish(manifest(), published(), local({ asset: undefined }));
    expect(plan.errors).toEqual([]);
    expect(plan.actions.filter((a) => a.action !== 'unchanged')).toEqual([]);
    expect(renderPlan(plan)).toBe('  = 15 unchanged\n\nPlan: 0 to create, 0 to update, 0 to delete, 15 unchanged.\n');
  });

  it('updates only what changed, and says how', () => {
    const plan = planPublish(
      manifest((m) => {
        m.product.description = 'Plots growth.';
        m.product.licenses[0]!.externalId = 'SKU-1';
      }),
      published(),
      local({ digests: new Map([[LOGO, 'a'.repeat(64)], [SHOT, 'c'.repeat(64)]]) }),
    );
    expect(plan.errors).toEqual([]);
    const changed = plan.actions.filter((a) => a.action !== 'unchanged');
    expect(kinds(changed)).toEqual(['update product Growth Charts', 'update product_license MIT', 'update screenshot Home']);
    expect(changed[0]).toMatchObject({ fields: { description: 'Plots growth.' }, changes: [{ field: 'description', from: 'Plots children’s growth.', to: 'Plots growth.' }] });
    expect(changed[1]!.fields).toEqual({ external_id: 'SKU-1' });
    expect(changed[2]).toMatchObject({ file: SHOT, fields: {}, changes: [{ field: 'sha256', from: 'b'.repeat(64), to: 'c'.repeat(64) }] });
    expect(renderPlan(plan)).toBe(
      [
        '  ~ update product "Growth Charts": description "Plots children’s growth." → "Plots growth."',
        '  ~ update license offer "MIT": external_id none → "SKU-1"',
        `  ~ update screenshot "Home": content sha256:bbbbbbbbbbbb → sha256:cccccccccccc`,
        '  = 12 unchanged',
        '',
        'Plan: 0 to create, 3 to update, 0 to delete, 12 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('creates the missing parts of an existing build: how an interrupted publish resumes', () => {
    const state = published();
    const defaults = state.product!.build!.configurations.find((c) => c.record.name === 'default')!;
    defaults.tasks = defaults.tasks.filter((t) => t.name !== 'nightly');
    state.product!.build!.exposures = [];
    const plan = planPublish(manifest(), state, local());
    expect(plan.errors).toEqual([]);
    expect(kinds(plan.actions.filter((a) => a.action !== 'unchanged'))).toEqual(['create task nightly', 'create exposure FHIR R4']);
    // Their parents exist: nothing to wait for.
    expect(plan.actions.filter((a) => a.action === 'create').map((a) => a.after)).toEqual([[], []]);
  });

  it('refuses to change a build version that exists, one sentence per difference, unless forced', () => {
    const change = (m: Manifest) => {
      m.build.image!.tag = '1.0.1';
      m.build.configurations[1]!.tasks[0]!.memoryMaximum = 1024;
    };
    const refused = planPublish(manifest(change), published(), local());
    expect(refused.errors).toEqual([
      'Build 1.0.0 has container_tag "1.0.0" in the marketplace but "1.0.1" in hsp.yaml.',
      'Build 1.0.0: task "web" (configuration "default") has memory 512 in the marketplace but 1024 in hsp.yaml.',
      'Build 1.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.',
    ]);
    const forced = planPublish(manifest(change), published(), local(), { force: true });
    expect(forced.errors).toEqual([]);
    expect(kinds(forced.actions.filter((a) => a.action !== 'unchanged'))).toEqual(['update build 1.0.0', 'update task web']);
    expect(forced.warnings).toEqual(['Changing build 1.0.0, which is already in the marketplace (--force): 2 changes.']);
    // A new version is a new build: no refusal.
    const withoutIt = published();
    delete withoutIt.product!.build;
    const next = planPublish(
      manifest((m) => {
        change(m);
        m.build.version = '1.0.1';
      }),
      withoutIt,
      local(),
    );
    expect(next.errors).toEqual([]);
    expect(kinds(next.actions).filter((k) => k.startsWith('create build'))).toEqual(['create build 1.0.1']);
  });

  it('deletes what the manifest no longer lists only with prune (and inside a build only with force)', () => {
    const smaller = (m: Manifest) => {
      m.product.screenshots = [];
      m.product.licenses = [];
      m.build.configurations = [m.build.configurations[1]!];
      m.build.configurations[0]!.tasks.pop();
      m.build.exposures = [];
    };
    const kept = planPublish(manifest(smaller), published(), local());
    expect(kept.errors).toEqual([]);
    expect(kept.actions.filter((a) => a.action !== 'unchanged')).toEqual([]);

    const refused = planPublish(manifest(smaller), published(), local(), { prune: true });
    expect(refused.errors).toEqual([
      'Build 1.0.0: task "nightly" (configuration "default") would be deleted (--prune).',
      'Build 1.0.0: configuration "small" would be deleted (--prune).',
      'Build 1.0.0: exposure of "FHIR R4" would be deleted (--prune).',
      'Build 1.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.',
    ]);
    const pruned = planPublish(manifest(smaller), published(), local(), { prune: true, force: true });
    expect(pruned.errors).toEqual([]);
    // The configuration's own tasks go with it; they are not deleted one by one.
    expect(kinds(pruned.actions.filter((a) => a.action !== 'unchanged'))).toEqual([
      'delete product_license MIT',
      'delete screenshot Home',
      'delete task nightly',
      'delete configuration small',
      'delete exposure FHIR R4',
    ]);
    expect(renderPlan(pruned)).toContain('  - delete screenshot "Home"\n');
  });

  it('never changes a shared licence or interface, and warns when the manifest names them otherwise', () => {
    const plan = planPublish(
      manifest((m) => {
        m.product.licenses[0]!.name = 'The MIT License';
        m.build.exposures = [{ interface: { name: 'FHIR', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' } }];
      }),
      published(),
      local(),
    );
    expect(plan.errors).toEqual([]);
    expect(plan.actions.filter((a) => a.action !== 'unchanged')).toEqual([]);
    expect(plan.warnings).toEqual([
      'The licence at https://opensource.org/licenses/MIT is named "MIT" in the marketplace, not "The MIT License"; licences are shared by all products, so a publish leaves it as it is.',
      'The interface http://hl7.org/fhir/R4 is "FHIR R4" version 4.0.1 in the marketplace, not "FHIR" version 4.0.1; interfaces are shared, so a publish leaves it as it is.',
    ]);
  });

  it('creates a missing licence (never expiring unless it says) and refuses an interface it cannot find', () => {
    const plan = planPublish(
      manifest((m) => {
        m.product.licenses.push({ name: 'Internal', url: 'https://example.com/licence' });
        m.build.exposures.push({ interface: 'SOAP' });
      }),
      empty,
      local(),
    );
    const licence = plan.actions.find((a) => a.resource === 'license' && a.action === 'create')!;
    expect(licence.fields).toEqual({ id: stableId('license', 'https://example.com/licence'), name: 'Internal', url: 'https://example.com/licence', expiry: 'indefinite' });
    const offer = plan.actions.find((a) => a.resource === 'product_license' && a.name === 'Internal')!;
    expect(offer.after).toEqual([`product:${PRODUCT_ID}`, licence.key]);
    expect(plan.errors).toEqual([
      'hsp.yaml: build.exposures[1].interface: there is no interface with the id, name or URI "SOAP" in the marketplace; declare it in full (name, uri, version) to have it created.',
    ]);
  });

  it('refuses a default configuration that would not come first', () => {
    const plan = planPublish(
      manifest((m) => {
        m.build.configurations[0]!.default = true;
        m.build.configurations[1]!.default = false;
      }),
      published(),
      local(),
    );
    expect(plan.errors).toEqual([
      'Build 1.0.0 already has configuration "default" first, which makes it the default, but hsp.yaml makes "small" the default; the order cannot change, so publish a new version.',
    ]);
  });

  it('publishes last, after every other change, and only when not yet published', () => {
    const plan = planPublish(manifest(), empty, local(), { publish: true });
    const publication = plan.actions.at(-1)!;
    expect(publication).toMatchObject({ action: 'create', resource: 'publication', id: PRODUCT_ID });
    expect(publication.after).toEqual(plan.actions.filter((a) => a.action !== 'unchanged' && a !== publication).map((a) => a.key));
    expect(renderPlan(plan)).toContain('  + publish product "Growth Charts"\n');
    const state = published();
    state.product!.record.published_at = T0;
    expect(planPublish(manifest(), state, local(), { publish: true }).actions.at(-1)).toMatchObject({ action: 'unchanged', resource: 'publication' });
  });

  it('turns unreadable files and duplicate names into errors naming the manifest entry', () => {
    const plan = planPublish(
      manifest((m) => {
        m.product.screenshots.push({ caption: 'Home', file: SHOT });
        m.build.configurations[1]!.tasks.push({ name: 'web', options: [], ports: [], environment: [] });
      }),
      empty,
      local({ errors: ['hsp.yaml: product.logo: cannot read logo.png: it does not exist.'] }),
    );
    expect(plan.errors).toEqual([
      'hsp.yaml: product.logo: cannot read logo.png: it does not exist.',
      'hsp.yaml: product.screenshots[1]: the caption "Home" is used twice.',
      'hsp.yaml: build.configurations[1].tasks[2]: the task name "web" is used twice in configuration "default".',
    ]);
  });

  it('is the JSON document of hsp publish --json', () => {
    const plan = planPublish(manifest(), empty, local());
    const document = JSON.parse(JSON.stringify(planDocument(plan, 'http://127.0.0.1:3000', ['a warning'])));
    expect(Object.keys(document)).toEqual(['product', 'build', 'marketplace', 'actions', 'summary', 'warnings', 'errors']);
    expect(document.actions[0]).toEqual({ action: 'create', resource: 'product', id: PRODUCT_ID, name: 'Growth Charts' });
    expect(document.summary).toEqual({ create: 13, update: 0, delete: 0, unchanged: 2 });
    expect(document.warnings).toEqual(['a warning']);
  });
});

describe('comparing fields', () => {
  it('treats every kind of nothing alike, times as instants, and objects whatever their key order', () => {
    expect(fieldChanges({ options: [], mappings: {}, description: '' }, { options: null, description: null })).toEqual([]);
    expect(fieldChanges({ expires_at: '2025-01-01' }, { expires_at: '2025-01-01T00:00:00.000Z' })).toEqual([]);
    expect(fieldChanges({ permissions: { a: 1, b: { c: true, d: undefined } } }, { permissions: { b: { c: true }, a: 1 } })).toEqual([]);
    expect(fieldChanges({ memory: 512, ports: [80], version: '2024-01-01' }, { memory: 256, ports: [80, 443], version: '2024-01-02' })).toEqual([
      { field: 'memory', from: 256, to: 512 },
      { field: 'ports', from: [80, 443], to: [80] },
      { field: 'version', from: '2024-01-02', to: '2024-01-01' },
    ]);
  });
});

describe('the default configuration convention', () => {
  it('is the first created; a tie keeps the server’s order', () => {
    const configs = [
      { id: 'b', created_at: '2024-01-01T00:00:01.000Z' },
      { id: 'a', created_at: '2024-01-01T00:00:00.000Z' },
      { id: 'c', created_at: '2024-01-01T00:00:00.000Z' },
    ];
    expect(defaultConfiguration(configs)?.id).toBe('a');
    expect(isDefaultConfiguration({ ...configs[1]! }, configs)).toBe(true);
    expect(isDefaultConfiguration(configs[2]!, configs)).toBe(false);
    expect(defaultConfiguration([])).toBeUndefined();
  });
});

describe('applying steps', () => {
  const step = (key: string, after: string[] = [], action: PlannedAction['action'] = 'create') => ({ key, after, action });

  it('runs parents before children, no more than the concurrency at once', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const steps = [step('p'), step('a', ['p']), step('b', ['p']), step('c', ['p']), step('d', ['p']), step('x', ['a', 'b'])];
    const results = await applySteps(
      steps,
      async (s) => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => setImmediate(resolve));
        order.push(s.key);
        running--;
      },
      { concurrency: 2 },
    );
    expect(results.map((r) => r.outcome)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    expect(most).toBe(2);
    expect(order[0]).toBe('p');
    expect(order.indexOf('x')).toBeGreaterThan(Math.max(order.indexOf('a'), order.indexOf('b')));
  });

  it('stops only the descendants of a failed step, and records every outcome', async () => {
    const steps = [step('p'), step('a', ['p']), step('a1', ['a']), step('a2', ['a1']), step('b', ['p']), step('u', [], 'unchanged')];
    const seen: string[] = [];
    const results = await applySteps(
      steps,
      async (s) => {
        if (s.key === 'a') throw new Error('The server said no.\nDetails nobody needs.');
      },
      { onStep: (r) => seen.push(`${r.step.key}:${r.outcome}`) },
    );
    expect(results.map((r) => [r.step.key, r.outcome, r.error ?? r.blockedBy])).toEqual([
      ['p', 'done', undefined],
      ['a', 'failed', 'The server said no.'],
      ['a1', 'skipped', 'a'],
      ['a2', 'skipped', 'a1'],
      ['b', 'done', undefined],
      ['u', 'unchanged', undefined],
    ]);
    expect(seen.sort()).toEqual(['a1:skipped', 'a2:skipped', 'a:failed', 'b:done', 'p:done']);
  });

  it('starts nothing new once aborted, and lets the running steps finish', async () => {
    const controller = new AbortController();
    const steps = [step('a'), step('b'), step('c'), step('d', ['a'])];
    const results = await applySteps(
      steps,
      async (s) => {
        if (s.key === 'a') controller.abort();
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
      { concurrency: 2, signal: controller.signal },
    );
    expect(results.map((r) => [r.step.key, r.outcome, r.interrupted ?? false])).toEqual([
      ['a', 'done', false],
      ['b', 'done', false],
      ['c', 'skipped', true],
      ['d', 'skipped', true],
    ]);
  });

  it('refuses a step that waits for one not in the plan', async () => {
    await expect(applySteps([step('a', ['ghost'])], async () => {})).rejects.toThrow('Step a comes after ghost, which is not in the plan.');
  });
});
