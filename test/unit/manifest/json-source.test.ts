import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/manifest/errors.js';
import { parseJsonSource } from '../../../src/manifest/json-source.js';

function syntaxError(text: string): ManifestError {
  try {
    parseJsonSource('m.json', text);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return error as ManifestError;
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonSource', () => {
  it.each([
    '{}',
    '[]',
    '{"a": [1, -2.5e3, 0, true, false, null, "x\\u00e9\\n\\"\\/"], "b": {"c": {}}}',
    '  "just a string"  ',
    '{"__proto__": {"polluted": true}, "constructor": 1}',
    '{"dup": 1, "dup": 2}',
  ])('builds the same value as JSON.parse: %s', (text) => {
    const parsed = parseJsonSource('m.json', text).data;
    expect(parsed).toEqual(JSON.parse(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('knows where each key and value starts (1-based lines and columns), and falls back to the nearest ancestor', () => {
    const source = parseJsonSource('m.json', '{\n  "product": {\n    "ports": [80, 443],\n    "name": "x"\n  }\n}\n');
    expect(source.positionOf([])).toEqual({ line: 1, column: 1 });
    expect(source.positionOf(['product'])).toEqual({ line: 2, column: 14 });
    expect(source.positionOf(['product'], 'key')).toEqual({ line: 2, column: 3 });
    expect(source.positionOf(['product', 'ports', 1])).toEqual({ line: 3, column: 19 });
    expect(source.positionOf(['product', 'ports', '1'])).toEqual({ line: 3, column: 19 });
    expect(source.positionOf(['product', 'name'], 'key')).toEqual({ line: 4, column: 5 });
    expect(source.positionOf(['product', 'missing', 'deeper'])).toEqual({ line: 2, column: 14 });
  });

  it('counts a byte-order mark as part of the first line', () => {
    const source = parseJsonSource('m.json', '\uFEFF{"a": 1}');
    expect(source.data).toEqual({ a: 1 });
    expect(source.positionOf(['a'])).toEqual({ line: 1, column: 8 });
  });

  it.each([
    ['{\n  "a": 1,\n}', 3, 1, 'invalid JSON: expected a property name in double quotes, found "}".'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'invalid JSON: expected "," or "}" after a property, found """.'],
    ['{"a" 1}', 1, 6, 'invalid JSON: expected ":" after the property name, found "1".'],
    ['[1, 2', 1, 6, 'invalid JSON: expected "," or "]" after an item, found the end of the file.'],
    ['{"a": tru}', 1, 7, 'invalid JSON: expected a value, found "tru".'],
    ["{'a': 1}", 1, 2, 'invalid JSON: expected a property name in double quotes, found "\'".'],
    ['{"a": "line\nbreak"}', 1, 12, 'invalid JSON: a string holds a line break or control character (write it as an escape such as \\n).'],
    ['{"a": "\\x"}', 1, 8, 'invalid JSON: a string holds an invalid escape sequence.'],
    ['{"a": "open', 1, 7, 'invalid JSON: a string is not closed.'],
    ['{"a": 01}', 1, 8, 'invalid JSON: expected "," or "}" after a property, found "1".'],
    ['{"a": 1} x', 1, 10, 'invalid JSON: unexpected "x" after the end of the document.'],
    ['  \n', 2, 1, 'invalid JSON: the file is empty.'],
  ])('reports %j at %i:%i', (text, line, column, message) => {
    const error = syntaxError(text);
    expect({ line: error.line, column: error.column, message: error.problems[0]!.message }).toEqual({ line, column, message });
    expect(error.message).toBe(`m.json:${line}:${column}: ${message}`);
  });
});
