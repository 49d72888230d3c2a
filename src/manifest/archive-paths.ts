/**
 * The rules for paths inside an asset archive, shared by the packer and the unpacker so that
 * whatever one writes the other accepts. Archive paths always use `/`, are relative to the
 * archive's root, and never leave it: not by `..`, not by an absolute or Windows path, and
 * not by way of a symbolic link.
 */

/**
 * A path quoted for a sentence. Backslashes stay as they are (they are often the point), but
 * control characters are escaped: a name from an archive must not drive the terminal.
 */
export function quotePath(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped
  return `"${path.replace(/[\u0000-\u001f\u007f-\u009f"]/g, (c) => (c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}

/** Why an entry's path may not be used, as the end of a sentence; undefined when it is fine. */
export function pathProblem(path: string): string | undefined {
  if (path === '') return 'has an empty path';
  if (path.includes('\0')) return 'has a NUL character in its path';
  // Checked before the absolute-path rule: on Windows `\evil` and `C:evil` are both absolute.
  if (path.includes('\\')) return 'has a backslash in its path, which Windows reads as a folder separator';
  if (/^[a-z]:/i.test(path)) return 'starts with a Windows drive letter';
  if (path.startsWith('/')) return 'has an absolute path';
  if (path.split('/').includes('..')) return 'has a ".." segment in its path';
  return undefined;
}

/** The path's names without empty and "." segments: `./a//b/` is `["a", "b"]`, `./` is `[]`. */
export function segmentsOf(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '' && segment !== '.');
}

/**
 * The symbolic links an archive holds, looked up the way the strictest file system would:
 * ignoring case and Unicode normal form (macOS and Windows do), so `Link` stands in the way
 * of `link/x` everywhere.
 */
export class SymlinkSet {
  private readonly paths = new Map<string, string>();

  add(segments: string[]): void {
    this.paths.set(foldKey(segments), segments.join('/'));
  }

  /** The link's path as the archive spells it, when these names are (or fold to) a link. */
  find(segments: string[]): string | undefined {
    return this.paths.get(foldKey(segments));
  }

  /** The first folder above the entry that is a symbolic link: writing through it could land anywhere. */
  above(segments: string[]): string | undefined {
    for (let end = 1; end < segments.length; end++) {
      const found = this.find(segments.slice(0, end));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

function foldKey(segments: string[]): string {
  return segments.join('/').normalize('NFC').toLowerCase();
}

/** An archive entry as far as the path rules care. */
export interface PathEntry {
  /** As the archive spells it, for messages. */
  path: string;
  /** Its names (see `segmentsOf`). */
  segments: string[];
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  /** A symbolic link's target (relative to its folder), a hard link's (relative to the root). */
  linkpath?: string;
}

/**
 * The first entry that would reach outside the folder by way of a symbolic link, with the
 * reason as the end of a sentence. Needs the whole list: a link anywhere in the archive can
 * stand in the way of an entry written before it.
 */
export function symlinkProblem(entries: PathEntry[]): { path: string; problem: string } | undefined {
  const links = new SymlinkSet();
  for (const entry of entries) if (entry.type === 'SymbolicLink') links.add(entry.segments);
  for (const entry of entries) {
    const problem = entryProblem(entry, links);
    if (problem) return { path: entry.path, problem };
  }
  return undefined;
}

function entryProblem(entry: PathEntry, links: SymlinkSet): string | undefined {
  const link = links.find(entry.segments);
  if (link !== undefined && (entry.type !== 'SymbolicLink' || link !== entry.segments.join('/'))) {
    return `has the same name as the symbolic link ${quotePath(link)} where case is ignored (macOS, Windows)`;
  }
  const above = links.above(entry.segments);
  if (above !== undefined) return `passes through the symbolic link ${quotePath(above)}`;
  if (entry.type === 'SymbolicLink') return symlinkTargetProblem(entry.segments, entry.linkpath ?? '', links);
  if (entry.type === 'Link') {
    const target = segmentsOf(entry.linkpath ?? '');
    const through = links.find(target) ?? links.above(target);
    if (through !== undefined) return `is a hard link to ${quotePath(entry.linkpath ?? '')}, through the symbolic link ${quotePath(through)}`;
  }
  return undefined;
}

/**
 * Why the symbolic link at `linkSegments` pointing to `target` would lead out of the folder,
 * as the end of a sentence; undefined when it stays inside.
 *
 * The target is resolved by its names alone, which matches what the file system does only
 * while no `..` follows a symbolic link (`sub -> .` makes `sub/../x` the folder's sibling, not
 * its child `x`), so that case is refused too. Targets that pass through a symbolic link and
 * only descend are fine: that link is itself checked to stay inside.
 */
function symlinkTargetProblem(linkSegments: string[], target: string, links: SymlinkSet): string | undefined {
  const shown = quotePath(target);
  if (target === '') return 'is a symbolic link with no target';
  if (target.includes('\0')) return 'is a symbolic link whose target has a NUL character';
  if (target.includes('\\')) return `is a symbolic link to ${shown}, with a backslash Windows reads as a folder separator`;
  if (/^[a-z]:/i.test(target) || target.startsWith('/')) return `is a symbolic link to the absolute path ${shown}`;
  const here = linkSegments.slice(0, -1);
  let through: string | undefined;
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (through !== undefined) return `is a symbolic link to ${shown}, which climbs back out of the symbolic link ${quotePath(through)} with ".."`;
      if (here.length === 0) return `is a symbolic link to ${shown}, outside the folder`;
      here.pop();
      continue;
    }
    here.push(segment);
    through ??= links.find(here);
  }
  return undefined;
}
