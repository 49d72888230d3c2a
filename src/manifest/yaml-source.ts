/** YAML with positions: the `yaml` package's node ranges, looked up by path. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ManifestError } from './errors.js';
import type { Position, SourceDocument, SourcePath } from './source.js';

/** Parses `text`; a syntax error (a duplicate key included) is a ManifestError at its position. */
export function parseYamlSource(file: string, text: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const reason = (syntax.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
    const at = syntax.linePos?.[0];
    const hint = HINTS[syntax.code] ? ` (${HINTS[syntax.code]})` : '';
    throw new ManifestError([{ file, ...(at ? { line: at.line, column: at.col } : {}), message: `invalid YAML: ${lowerFirst(reason)}${hint}.` }]);
  }
  // Aliases are fine; an alias bomb is not.
  const data = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  const position = (node: Node | null | undefined): Position | undefined => {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return {
    file,
    data,
    positionOf(path: SourcePath, part: 'key' | 'value' = 'value'): Position | undefined {
      let node = doc.contents as Node | null;
      let found = position(node);
      for (let i = 0; i < path.length && node; i++) {
        const segment = path[i]!;
        const last = i === path.length - 1;
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
          if (!pair) break;
          if (last && part === 'key') return position(pair.key as Node) ?? found;
          // `key:` with nothing after it: the key is where the (null) value is.
          node = (pair.value as Node | null) ?? null;
          found = position(node) ?? position(pair.key as Node) ?? found;
        } else if (isSeq(node)) {
          node = (node.items[Number(segment)] as Node | undefined) ?? null;
          if (!node) break;
          found = position(node) ?? found;
        } else break;
      }
      return found;
    },
  };
}

/** What usually causes the errors people meet most. */
const HINTS: Partial<Record<string, string>> = {
  // `description: Note: this` reads as a mapping inside a value.
  BLOCK_AS_IMPLICIT_KEY: 'put a value that contains ": " in quotes',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
};

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
