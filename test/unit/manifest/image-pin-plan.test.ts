/**
 * The publish plan and the build's image digest: recorded on create, compared with what the
 * marketplace has, a changed one refused as a change of an immutable release (one sentence
 * saying where the new digest came from) unless --force, a first one recorded without --force,
 * and never compared on a server that keeps none.
 */
import { describe, expect, it } from 'vitest';
import type { Build, Configuration, Product, Task } from '../../../src/index.js';
import { formatProblem, ManifestError } from '../../../src/manifest/errors.js';
import type { ImagePin } from '../../../src/manifest/image-pin.js';
import { parseManifest } from '../../../src/manifest/load.js';
import type { LocalFiles } from '../../../src/manifest/local-files.js';
import type { Manifest } from '../../../src/manifest/model.js';
import { planDocument } from '../../../src/manifest/plan-document.js';
import { planPublish, type PlannedAction } from '../../../src/manifest/plan.js';
import { renderPlan } from '../../../src/manifest/render-plan.js';
import type { MarketplaceState } from '../../../src/manifest/state.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const T0 = '2024-01-01T00:00:00.000Z';
const record = { created_at: T0, updated_at: T0 };

const manifest: Manifest = {
  file: 'hsp.yaml',
  format: 'hsp.yaml',
  product: { name: 'Pinned App', licenses: [], screenshots: [] },
  build: {
    version: '1.0.0',
    image: { repository: 'ghcr.io/acme/app', tag: '1.0' },
    configurations: [{ name: 'default', default: true, tasks: [{ name: 'web', options: [], ports: [80], environment: [] }] }],
    exposures: [],
    dependencies: [],
  },
};
const empty: MarketplaceState = { licenses: [], interfaces: [] };
const pin = (digest: string, source: ImagePin['source'] = 'registry'): ImagePin => ({ reference: 'ghcr.io/acme/app:1.0', digest, source });
const local = (image?: ImagePin): LocalFiles => ({ digests: new Map(), errors: [], ...(image ? { image } : {}) });

/** The marketplace after the manifest was published, its build rendering `digest` (absent: a server that keeps none). */
function published(digest: string | null | undefined): MarketplaceState {
  const first = planPublish(manifest, empty, local());
  const fields = (resource: string) => first.actions.find((a: PlannedAction) => a.resource === resource)!.fields as Record<string, unknown>;
  const configuration = { ...fields('configuration'), build_id: first.build.id, ...record } as unknown as Configuration;
  const build = { ...fields('build'), product_id: first.product.id, release_notes: null, permissions: {}, validated_at: null, published_at: null, ...record, ...(digest === undefined ? {} : { container_digest: digest }) } as unknown as Build;
  return {
    licenses: [],
    interfaces: [],
    product: {
      record: { ...fields('product'), user_id: 'u', published_at: null, visible_at: null, ...record } as unknown as Product,
      matchedBy: 'id',
      productLicenses: [],
      screenshots: [],
      build: { record: build, configurations: [{ record: configuration, tasks: [{ ...fields('task'), configuration_id: configuration.id, ...record } as unknown as Task] }], exposures: [], dependencies: [] },
      buildMatchedBy: 'version',
    },
  };
}

const buildAction = (actions: PlannedAction[]) => actions.find((a) => a.resource === 'build')!;

describe('the plan and the image digest', () => {
  it('records the digest when it creates the build, and shows it in the plan and its JSON', () => {
    const plan = planPublish(manifest, empty, local(pin(A)));
    expect(buildAction(plan.actions).fields).toMatchObject({ container_repository: 'ghcr.io/acme/app', container_tag: '1.0', container_digest: A });
    expect(renderPlan(plan).split('\n')[0]).toBe(`  image ghcr.io/acme/app:1.0 is ${A}`);
    expect(planDocument(plan, 'http://m', []).build).toEqual({ id: plan.build.id, version: '1.0.0', image: pin(A) });
    expect(renderPlan(planPublish(manifest, empty, local(pin(A, 'manifest')))).split('\n')[0]).toBe(`  image ghcr.io/acme/app:1.0 is ${A} (pinned in the manifest)`);
  });

  it('sends no digest without a pin (--no-resolve), and leaves a recorded one alone', () => {
    expect(buildAction(planPublish(manifest, empty, local()).actions).fields).not.toHaveProperty('container_digest');
    const plan = planPublish(manifest, published(A), local());
    expect(plan.errors).toEqual([]);
    expect(buildAction(plan.actions).action).toBe('unchanged');
  });

  it('is unchanged when the tag still points to the recorded digest', () => {
    const plan = planPublish(manifest, published(A), local(pin(A)));
    expect(plan.errors).toEqual([]);
    expect(plan.actions.every((a) => a.action === 'unchanged')).toBe(true);
  });

  it('refuses a tag that moved under a published version, saying so in one sentence', () => {
    const plan = planPublish(manifest, published(A), local(pin(B)));
    expect(plan.errors).toEqual([
      `Build 1.0.0 runs the image ${A} in the marketplace, but ghcr.io/acme/app:1.0 now points to ${B}: the image of a published version changed.`,
      'Build 1.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.',
    ]);
    const pinnedInFile = planPublish(manifest, published(A), local(pin(B, 'manifest')));
    expect(pinnedInFile.errors[0]).toBe(`Build 1.0.0 runs the image ${A} in the marketplace, but hsp.yaml pins ${B}: the image of a published version changed.`);
  });

  it('records the new digest with --force, with a warning', () => {
    const plan = planPublish(manifest, published(A), local(pin(B)), { force: true });
    expect(plan.errors).toEqual([]);
    expect(buildAction(plan.actions)).toMatchObject({ action: 'update', changes: [{ field: 'container_digest', from: A, to: B }], fields: { container_digest: B } });
    expect(plan.warnings).toEqual(['Changing build 1.0.0, which is already in the marketplace (--force): 1 change.']);
  });

  it('records a first digest on a build that has none without --force: it pins what the tag runs today', () => {
    const plan = planPublish(manifest, published(null), local(pin(A)));
    expect(plan.errors).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(buildAction(plan.actions)).toMatchObject({ action: 'update', changes: [{ field: 'container_digest', from: null, to: A }] });
  });

  it('never compares a digest with a server that keeps none (the reference server renders no container_digest)', () => {
    const plan = planPublish(manifest, published(undefined), local(pin(B)));
    expect(plan.errors).toEqual([]);
    expect(buildAction(plan.actions).action).toBe('unchanged');
  });
});

describe('a digest pinned in hsp.yaml', () => {
  const yaml = (image: string) =>
    ['product:', '  name: Pinned App', 'build:', '  version: 1.0.0', `  image: ${image}`, '  configurations:', '    - name: default', '      tasks:', '        - name: web', ''].join('\n');

  it('is read from repo:tag@sha256:…', async () => {
    const { manifest: loaded } = await parseManifest('hsp.yaml', yaml(`ghcr.io/acme/app:1.0@${A}`));
    expect(loaded.build.image).toEqual({ repository: 'ghcr.io/acme/app', tag: '1.0', digest: A });
  });

  it('must be SHA-256, the digest the marketplace records, said at its line', async () => {
    const error = await parseManifest('hsp.yaml', yaml(`ghcr.io/acme/app:1.0@sha512:${'a'.repeat(128)}`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).problems.map((p) => formatProblem(p))).toEqual([
      `hsp.yaml:5:10: build.image pins the digest "sha512:${'a'.repeat(128)}"; the marketplace records SHA-256 digests only ("sha256:" and 64 lowercase hexadecimal digits).`,
    ]);
  });
});
