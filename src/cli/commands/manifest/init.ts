/**
 * `hsp init [DIR]`: a commented hsp.yaml for a new product, with a fresh product id. At a
 * terminal it asks for what the flags did not give; in scripts and CI everything comes from
 * flags, and a missing required one is a usage error naming it. The answers are checked as the
 * manifest will be (the text is loaded before it is written), and an existing hsp.yaml is only
 * replaced with --force.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../../auth/atomic-file.js';
import { ManifestError } from '../../../manifest/errors.js';
import { parseImageReference } from '../../../manifest/image-reference.js';
import { parseManifest } from '../../../manifest/load.js';
import type { Manifest } from '../../../manifest/model.js';
import { writeHspYaml } from '../../../manifest/write-hsp-yaml.js';
import type { CliContext } from '../../context.js';
import { FailureError, UsageError } from '../../errors.js';
import { refuseOverwrite } from '../../files.js';
import { isFolder } from './folders.js';
import { inquirerInitPrompts, type InitPrompts, type Question } from './init-prompts.js';

export interface InitOptions {
  name?: string;
  description?: string;
  mimeType?: string;
  image?: string;
  version?: string;
  licenseName?: string;
  licenseUrl?: string;
  content?: string;
  force?: boolean;
}

/** One value of the new manifest: its flag, its question, and what makes an answer usable. */
interface Field {
  key: Exclude<keyof InitOptions, 'force'>;
  flag: string;
  question: string;
  required?: boolean;
  default?: string;
  /** Why the value cannot be used, or undefined when it can. */
  check?: (value: string) => string | undefined;
}

const FIELDS: Field[] = [
  { key: 'name', flag: '--name', question: 'Product name:', required: true },
  { key: 'description', flag: '--description', question: 'Description (optional):' },
  { key: 'mimeType', flag: '--mime-type', question: 'MIME type, e.g. application/smart.v1 (optional):', check: (v) => (/^[\w.+-]+\/[\w.+-]+$/.test(v) ? undefined : 'is not a MIME type such as application/smart.v1') },
  { key: 'image', flag: '--image', question: 'Container image, repository[:tag] (optional):', check: imageProblem },
  { key: 'version', flag: '--version', question: 'Version of the first build:', required: true, default: '0.1.0' },
  { key: 'licenseName', flag: '--license-name', question: 'Licence name (optional):' },
  { key: 'licenseUrl', flag: '--license-url', question: 'Licence URL:', check: (v) => (/^https?:\/\/\S+$/.test(v) ? undefined : 'is not an http:// or https:// URL') },
  { key: 'content', flag: '--content', question: "Folder shipped as the build's asset (optional):" },
];

export async function init(ctx: CliContext, options: InitOptions, dir = '.', prompts?: InitPrompts): Promise<void> {
  const target = join(dir, 'hsp.yaml');
  // Before any question: nobody should answer seven of them to hear the file exists.
  await refuseOverwrite(target, !!options.force);
  const values = ctx.interactive ? await ask(options, prompts ?? inquirerInitPrompts(ctx)) : fromFlags(options);
  if (values.content !== undefined && !(await isFolder(values.content))) throw new FailureError(`--content ${values.content}: there is no such folder.`);

  const folder = resolve(dir);
  const manifest = newManifest(values, join(folder, 'hsp.yaml'));
  const text = writeHspYaml(manifest, { dir: folder, explain: true });
  try {
    await parseManifest(target, text);
  } catch (error) {
    // The flags were checked one by one; this is what only the whole manifest shows.
    if (error instanceof ManifestError) throw new UsageError(`The answers do not make a valid manifest: ${error.problems[0]!.message}`);
    throw error;
  }
  await mkdir(folder, { recursive: true });
  await refuseOverwrite(target, !!options.force);
  await writeFileAtomic(target, text);
  ctx.output.success(`Wrote ${target} for "${manifest.product.name}" (product id ${manifest.product.id}).`);
  ctx.output.notice(`Check it with "hsp manifest validate ${target}", then publish it with "hsp publish ${target}".`);
}

type Values = Omit<InitOptions, 'force'>;

function fromFlags(options: InitOptions): Values {
  const values = checkedFlags(options);
  const missing = FIELDS.find((field) => field.required && values[field.key] === undefined);
  if (missing) throw new UsageError(`${missing.flag} is required when hsp init cannot ask (no terminal, or --no-interactive).`);
  if (values.licenseName && !values.licenseUrl) throw new UsageError('--license-url is required with --license-name.');
  if (values.licenseUrl && !values.licenseName) throw new UsageError('--license-name is required with --license-url.');
  return values;
}

/** Asks for each value the flags left out (flags are still checked, as without a terminal). */
async function ask(options: InitOptions, prompts: InitPrompts): Promise<Values> {
  const given = checkedFlags(options);
  const values: Values = { ...given };
  for (const field of FIELDS) {
    if (given[field.key] !== undefined) continue;
    // A licence is a name and a URL: either both or neither.
    if (field.key === 'licenseUrl' && !values.licenseName) continue;
    const required = field.required || (field.key === 'licenseUrl' && !!values.licenseName) || (field.key === 'licenseName' && !!values.licenseUrl);
    const question: Question = {
      message: field.question,
      ...(field.default !== undefined ? { default: field.default } : {}),
      validate: (answer) => {
        const value = answer.trim();
        if (!value) return required ? 'This one is needed.' : true;
        const problem = field.check?.(value);
        return problem ? `This ${problem}.` : true;
      },
    };
    const answer = (await prompts.input(question)).trim();
    if (answer) values[field.key] = answer;
  }
  return values;
}

/** The flags that were given, each checked. */
function checkedFlags(options: InitOptions): Values {
  const values: Values = {};
  for (const field of FIELDS) {
    const value = options[field.key]?.trim();
    if (!value) continue;
    const problem = field.check?.(value);
    if (problem) throw new UsageError(`${field.flag} ${JSON.stringify(value)} ${problem}.`);
    values[field.key] = value;
  }
  return values;
}

function newManifest(values: Values, file: string): Manifest {
  const name = values.name!;
  const image = values.image ? parseImageReference(values.image) : undefined;
  return {
    file,
    format: 'hsp.yaml',
    product: {
      id: randomUUID(),
      name,
      ...(values.description ? { description: values.description } : {}),
      ...(values.mimeType ? { mimeType: values.mimeType } : {}),
      licenses: values.licenseName && values.licenseUrl ? [{ name: values.licenseName, url: values.licenseUrl }] : [],
      screenshots: [],
    },
    build: {
      version: values.version!,
      ...(image && !('problem' in image) ? { image } : {}),
      ...(values.content ? { content: resolve(values.content) } : {}),
      configurations: [{ name: 'default', default: true, tasks: [{ name: taskName(name), options: [], ports: [], environment: [] }] }],
      exposures: [],
      dependencies: [],
    },
  };
}

/** `My SMART App` → `my-smart-app`: a task name that reads well in logs and container names. */
function taskName(productName: string): string {
  return (
    productName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'app'
  );
}

function imageProblem(value: string): string | undefined {
  const parsed = parseImageReference(value);
  return 'problem' in parsed ? parsed.problem : undefined;
}
