/**
 * A manifest's text parsed into plain data that still knows where each value came from, so a
 * problem found in the data (by the schema or a later check) is reported at its line and column.
 */

/** Keys and array indexes from the document's root to a value. */
export type SourcePath = readonly (string | number)[];

/** 1-based, as editors count. */
export interface Position {
  line: number;
  column: number;
}

export interface SourceDocument {
  /** The file as the user gave it, for messages. */
  file: string;
  data: unknown;
  /**
   * Where the value at `path` starts (`key`: where its key is, for a key that should not be
   * there). A path that does not exist gives the position of its nearest ancestor that does, so
   * a missing property is reported at the object that lacks it.
   */
  positionOf(path: SourcePath, part?: 'key' | 'value'): Position | undefined;
}

/** `/build/configurations/0` (RFC 6901), as ajv reports instance paths, back into segments. */
export function pathFromPointer(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function pointerOf(path: SourcePath): string {
  return path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Line starts of a text, for turning offsets into positions. */
export function lineIndex(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  };
}
