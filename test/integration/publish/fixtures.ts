/**
 * What the publish tests share: a product folder on disk (real image files and a content
 * folder), its manifest as the model, SDK clients whose requests can be counted or made to
 * fail, and one call that plans and applies like `hsp publish` does.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { Marketplace, type RequestTrace, type ResponseTrace } from '../../../src/index.js';
import type { StepResult } from '../../../src/manifest/apply.js';
import type { Manifest } from '../../../src/manifest/model.js';
import type { Plan, PlannedAction } from '../../../src/manifest/plan.js';
import { applyPublish, preparePublish, type PrepareOptions } from '../../../src/manifest/publish.js';
import { sharedDir } from '../../helpers/captures.js';

export const specExamplesDir = join(sharedDir, 'spec/examples');
export const hasSpecExamples = existsSync(specExamplesDir);

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A 1×1 PNG of one colour: a real image the server accepts, different per colour. */
export function png(red: number, green: number, blue: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, red, green, blue]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A folder with a logo, a screenshot and a content folder to pack. */
export async function productFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hsp-publish-'));
  await writeFile(join(dir, 'logo.png'), png(200, 30, 30));
  await writeFile(join(dir, 'home.png'), png(30, 200, 30));
  await mkdir(join(dir, 'content'));
  await writeFile(join(dir, 'content', 'README.md'), '# Growth charts\n');
  await writeFile(join(dir, 'content', 'library.json'), '{"resourceType":"Library","name":"GrowthCharts"}\n');
  return dir;
}

/**
 * A product with every kind of part: licences, a logo, a screenshot, content, two
 * configurations (the default listed second), tasks, an exposure and a dependency of
 * interfaces declared in full.
 */
export function growthManifest(dir: string, name: string): Manifest {
  return {
    file: join(dir, 'hsp.yaml'),
    format: 'hsp.yaml',
    product: {
      name,
      description: 'Plots children’s growth against the WHO charts.',
      mimeType: 'application/smart.v1',
      supportUrl: 'https://example.com/support',
      licenses: [
        { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
        { name: `${name} licence`, url: `https://example.com/${encodeURIComponent(name)}/licence`, externalId: 'SKU-1' },
      ],
      logo: join(dir, 'logo.png'),
      screenshots: [{ caption: 'Home', file: join(dir, 'home.png') }],
    },
    build: {
      version: '1.0.0',
      releaseNotes: 'First release.',
      image: { repository: 'example/growth', tag: '1.0.0' },
      content: join(dir, 'content'),
      permissions: { patients: { read: true } },
      configurations: [
        { name: 'small', default: false, tasks: [{ name: 'web', options: [], ports: [80], environment: [], memoryMaximum: 256 }] },
        {
          name: 'default',
          default: true,
          tasks: [
            {
              name: 'web',
              label: 'Growth charts web app',
              options: ['--mode', 'production'],
              ports: [80],
              environment: [{ key: 'FHIR_URL', description: 'The FHIR server.', required: true, pattern: 'https?://.+' }],
              memoryMinimum: 128,
              memoryMaximum: 512,
              instancesMinimum: 1,
              instancesMaximum: 3,
            },
            { name: 'nightly', options: [], ports: [], environment: [], cron: '0 3 * * *' },
          ],
        },
      ],
      exposures: [{ interface: { name: 'Growth Charts API', uri: 'https://example.com/growth-api', version: '1' } }],
      dependencies: [{ interface: { name: 'FHIR R4', uri: 'http://hl7.org/fhir/R4', version: '4.0.1' }, required: true, mappings: { FHIR_URL: 'url' } }],
    },
  };
}

export interface ClientHooks {
  onRequest?: (trace: RequestTrace) => void;
  onResponse?: (trace: ResponseTrace) => void;
}

export function clientFor(url: string, token: string | undefined, hooks: ClientHooks = {}): Marketplace {
  return new Marketplace({ baseUrl: url, token, dialect: 'r2', maxRetries: 0, ...hooks });
}

/** A client that counts its requests by method. */
export function countingClient(url: string, token: string | undefined): { client: Marketplace; counts: Record<string, number>; writes: () => number } {
  const counts: Record<string, number> = {};
  const client = clientFor(url, token, { onRequest: (t) => void (counts[t.method] = (counts[t.method] ?? 0) + 1) });
  return { client, counts, writes: () => Object.entries(counts).reduce((n, [method, count]) => n + (WRITES.has(method) ? count : 0), 0) };
}

/**
 * A client whose writes fail from the `n`th on, as when the network goes at that point: with
 * `lostAnswer`, the `n`th write reaches the server and only its answer is lost (a crash after
 * the server acted).
 */
export function failingClient(url: string, token: string | undefined, n: number, lostAnswer = false): Marketplace {
  let writes = 0;
  if (lostAnswer) {
    return clientFor(url, token, {
      onResponse: (t) => {
        if (WRITES.has(t.method) && ++writes === n) throw new Error('The connection was lost before the answer arrived.');
      },
    });
  }
  return clientFor(url, token, {
    onRequest: (t) => {
      if (WRITES.has(t.method) && ++writes >= n) throw new Error('The network is down.');
    },
  });
}

export interface Published {
  plan: Plan;
  results: StepResult<PlannedAction>[];
}

/** Plans and, when the plan has no errors, applies: `hsp publish` without the printing. */
export async function publishOnce(client: Marketplace, manifest: Manifest, options: PrepareOptions = {}): Promise<Published> {
  const prepared = await preparePublish(client, manifest, options);
  if (prepared.plan.errors.length) return { plan: prepared.plan, results: [] };
  const results = await applyPublish(client, prepared, { concurrency: options.concurrency ?? 4, ...(options.signal ? { signal: options.signal } : {}) });
  return { plan: prepared.plan, results };
}

export const changesOf = (plan: Plan) => plan.actions.filter((a) => a.action !== 'unchanged').map((a) => `${a.action} ${a.resource} ${a.name}`);
export const outcomesOf = (results: StepResult<PlannedAction>[]) => results.filter((r) => r.outcome !== 'done' && r.outcome !== 'unchanged').map((r) => `${r.outcome} ${r.step.resource} ${r.step.name}: ${r.error ?? r.blockedBy}`);

/** Every item of a listing (all its pages). */
export async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}
