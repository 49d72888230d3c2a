/**
 * A manifest written out in either format (`hsp manifest convert`): the text, and what the
 * target format cannot hold, for the CLI to warn about.
 */
import type { Manifest, ManifestFormat } from './model.js';
import { writeHspYaml } from './write-hsp-yaml.js';
import { writeSpecManifest } from './write-spec.js';

export interface WriteOptions {
  /** The folder the text goes to (relative paths are written against it). */
  dir: string;
  /** The file it came from, for the header of an hsp.yaml. */
  convertedFrom?: string;
  /** How the header of an hsp.yaml names the file written (see HspYamlWriteOptions). */
  fileName?: string;
}

export interface WrittenManifest {
  text: string;
  /** Fields the format has no place for, by their hsp.yaml names. */
  dropped: string[];
}

export function writeManifest(manifest: Manifest, format: ManifestFormat, options: WriteOptions): WrittenManifest {
  if (format === 'marketplace.json') {
    const { text, dropped } = writeSpecManifest(manifest);
    return { text, dropped };
  }
  return { text: writeHspYaml(manifest, { dir: options.dir, convertedFrom: options.convertedFrom, fileName: options.fileName }), dropped: [] };
}
