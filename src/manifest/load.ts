/**
 * Reading a manifest, whichever its format: `hsp.yaml` (hsp's own) or the specification's
 * `marketplace.json`. The extension says which (`.yaml`/`.yml`, `.json`); any other name is
 * decided by the content (JSON starts with `{`). The result is the model (model.ts) with its
 * paths made absolute, plus warnings; a manifest that cannot be used throws a ManifestError
 * holding every problem found.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { ManifestError } from './errors.js';
import type { FormatResult } from './format-result.js';
import { readHspYaml } from './hsp-yaml-format.js';
import { parseJsonSource } from './json-source.js';
import type { LoadedManifest, LoadOptions, ManifestFormat } from './model.js';
import { readSpecManifest } from './spec-format.js';
import { parseYamlSource } from './yaml-source.js';

export async function loadManifest(file: string, options: LoadOptions = {}): Promise<LoadedManifest> {
  const text = await readText(file);
  return parseManifest(file, text, options);
}

/** The same as loadManifest for text already read; `file` names it in messages and anchors its paths. */
export async function parseManifest(file: string, text: string, options: LoadOptions = {}): Promise<LoadedManifest> {
  const format = formatOf(file, text);
  const dir = dirname(resolve(file));
  let result: FormatResult;
  if (format === 'hsp.yaml') result = await readHspYaml(withFormat(() => parseYamlSource(file, text), format), dir);
  else result = await readSpecManifest(withFormat(() => parseJsonSource(file, text), format), options);
  if (result.errors.length || !result.manifest) throw new ManifestError(result.errors, { warnings: result.warnings, format });
  return { manifest: result.manifest, warnings: result.warnings };
}

export function formatOf(file: string, text: string): ManifestFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'hsp.yaml';
  if (extension === '.json') return 'marketplace.json';
  return text.trimStart().replace(/^\uFEFF/, '').startsWith('{') ? 'marketplace.json' : 'hsp.yaml';
}

/** A syntax error knows its position, not the format it was read as: adds it. */
function withFormat<T>(parse: () => T, format: ManifestFormat): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ManifestError) throw new ManifestError(error.problems, { format });
    throw error;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The code, not the message: Node's message repeats the absolute path.
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `error ${code ?? 'reading it'}`;
    throw new ManifestError([{ file, message: `cannot read the manifest: ${reason}.` }]);
  }
}
