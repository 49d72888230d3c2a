import { describe, expect, it } from 'vitest';
import { nest } from '../../../src/cli/commands/api.js';
import { keyValues, splitKeyValue } from '../../../src/cli/key-value.js';

describe('KEY=VALUE flags', () => {
  it('split at the first "=", keep empty values, and the last of a repeated key', () => {
    expect(splitKeyValue('URL=https://x/?a=b', '--set')).toEqual(['URL', 'https://x/?a=b']);
    expect(keyValues(['A=1', 'B=', 'A=2'], '--set')).toEqual({ A: '2', B: '' });
  });

  it.each(['NOVALUE', '=value', ''])('refuse "%s" in one sentence', (item) => {
    expect(() => splitKeyValue(item, '--set')).toThrow(`--set must be KEY=VALUE, got "${item}".`);
  });
});

describe('hsp api field nesting', () => {
  it('nests bracketed keys into objects and [] into arrays', () => {
    expect(
      nest([
        ['product[name]', 'App'],
        ['product[tags][]', 'fhir'],
        ['product[tags][]', 'smart'],
        ['product[owner][id]', 7],
        ['page', 2],
      ]),
    ).toEqual({ product: { name: 'App', tags: ['fhir', 'smart'], owner: { id: 7 } }, page: 2 });
    expect(nest([['list[][name]', 'a'], ['list[][name]', 'b']])).toEqual({ list: [{ name: 'a' }, { name: 'b' }] });
  });

  it.each([
    [[['a', 1], ['a', 2]], 'The field "a" clashes with another field of the same name.'],
    [[['a', 1], ['a[b]', 2]], 'The field "a[b]" clashes with another field of the same name.'],
    [[['a[]', 1], ['a[b]', 2]], 'The field "a[b]" clashes with another field of the same name.'],
    [[['a]b', 1]], 'The field name "a]b" is not valid: use name, name[key] or name[].'],
  ] as [[string, unknown][], string][])('refuses %j', (fields, message) => {
    expect(() => nest(fields)).toThrow(message);
  });
});
