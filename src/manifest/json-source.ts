/**
 * JSON with positions. `JSON.parse` gives neither the place of a syntax error in a stable form
 * (its message differs between Node versions) nor where each value sits, which every schema
 * problem needs. This small parser accepts exactly JSON (RFC 8259), builds the same values as
 * `JSON.parse`, and records where each key and value starts.
 */
import { ManifestError } from './errors.js';
import { lineIndex, pointerOf, type Position, type SourceDocument, type SourcePath } from './source.js';

interface Offsets {
  key?: number;
  value: number;
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

class Parser {
  private at = 0;
  readonly offsets = new Map<string, Offsets>();

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    this.skipSpace();
    if (this.at >= this.text.length) throw new JsonSyntaxError(this.at, 'the file is empty');
    const value = this.parseValue([], undefined);
    this.skipSpace();
    if (this.at < this.text.length) throw new JsonSyntaxError(this.at, `unexpected ${this.describe()} after the end of the document`);
    return value;
  }

  private parseValue(path: (string | number)[], key: number | undefined): unknown {
    this.offsets.set(pointerOf(path), { key, value: this.at });
    const char = this.text[this.at];
    if (char === '{') return this.parseObject(path);
    if (char === '[') return this.parseArray(path);
    if (char === '"') return this.parseString();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.parseNumber();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    throw new JsonSyntaxError(this.at, `expected a value, found ${this.describe()}`);
  }

  private parseObject(path: (string | number)[]): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.at++;
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') throw new JsonSyntaxError(this.at, `expected a property name in double quotes, found ${this.describe()}`);
      const keyAt = this.at;
      const name = this.parseString();
      this.skipSpace();
      if (this.text[this.at] !== ':') throw new JsonSyntaxError(this.at, `expected ":" after the property name, found ${this.describe()}`);
      this.at++;
      this.skipSpace();
      // Defined rather than assigned: a "__proto__" key is data, as with JSON.parse.
      Object.defineProperty(result, name, { value: this.parseValue([...path, name], keyAt), enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const next = this.text[this.at];
      this.at++;
      if (next === '}') return result;
      if (next !== ',') throw new JsonSyntaxError(this.at - 1, `expected "," or "}" after a property, found ${this.describe(this.at - 1)}`);
    }
  }

  private parseArray(path: (string | number)[]): unknown[] {
    const result: unknown[] = [];
    this.at++;
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      result.push(this.parseValue([...path, result.length], undefined));
      this.skipSpace();
      const next = this.text[this.at];
      this.at++;
      if (next === ']') return result;
      if (next !== ',') throw new JsonSyntaxError(this.at - 1, `expected "," or "]" after an item, found ${this.describe(this.at - 1)}`);
    }
  }

  private parseString(): string {
    const start = this.at;
    this.at++;
    for (;;) {
      const code = this.text.charCodeAt(this.at);
      if (Number.isNaN(code)) throw new JsonSyntaxError(start, 'a string is not closed');
      if (code === 0x22) break;
      if (code < 0x20) throw new JsonSyntaxError(this.at, 'a string holds a line break or control character (write it as an escape such as \\n)');
      if (code === 0x5c) {
        ESCAPE.lastIndex = this.at;
        if (!ESCAPE.test(this.text)) throw new JsonSyntaxError(this.at, 'a string holds an invalid escape sequence');
        this.at = ESCAPE.lastIndex;
      } else this.at++;
    }
    this.at++;
    // Checked above, so JSON.parse only decodes the escapes.
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  private parseNumber(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match || match[0] === '-') throw new JsonSyntaxError(this.at, `expected a value, found ${this.describe()}`);
    this.at = NUMBER.lastIndex;
    return Number(match[0]);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at]!)) this.at++;
  }

  private describe(at = this.at): string {
    const char = this.text[at];
    if (char === undefined) return 'the end of the file';
    const word = /^[\w$]+/.exec(this.text.slice(at, at + 20))?.[0];
    return word && word.length > 1 ? `"${word}"` : `"${char}"`;
  }
}

/** Parses `text`; a syntax error is a ManifestError at its position. */
export function parseJsonSource(file: string, text: string): SourceDocument {
  // A byte-order mark is not JSON, but editors on Windows write one.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const offset = text.length - body.length;
  const position = lineIndex(text);
  const parser = new Parser(body);
  let data: unknown;
  try {
    data = parser.parseDocument();
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const at = position(error.offset + offset);
    throw new ManifestError([{ file, line: at.line, column: at.column, message: `invalid JSON: ${error.message}.` }]);
  }
  return {
    file,
    data,
    positionOf(path: SourcePath, part: 'key' | 'value' = 'value'): Position | undefined {
      const segments = path.map(String);
      for (let length = segments.length; length >= 0; length--) {
        const found = parser.offsets.get(pointerOf(segments.slice(0, length)));
        if (!found) continue;
        const at = part === 'key' && length === segments.length && found.key !== undefined ? found.key : found.value;
        return position(at + offset);
      }
      return undefined;
    },
  };
}
