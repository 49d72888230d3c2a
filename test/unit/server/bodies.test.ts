/**
 * The body readers' pure parts: nesting measured without recursion, the walk that finds what
 * PostgreSQL cannot hold (and names where), and form bodies read the way Rails reads them.
 */
import { describe, expect, it } from 'vitest';
import { findValueProblem, nestingExceeds, parseFormBody, parseJsonBody, textProblem } from '../../../src/server/bodies.js';
import { HttpError } from '../../../src/server/errors.js';
import { Upload } from '../../../src/server/uploads.js';

const refusal = (work: () => unknown): { status: number; message: string } => {
  try {
    work();
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('nestingExceeds', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(nestingExceeds('[[[]]]', 3)).toBe(false);
    expect(nestingExceeds('[[[[]]]]', 3)).toBe(true);
    expect(nestingExceeds('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(nestingExceeds(JSON.stringify({ text: '[[[[[[{{{{' }), 1)).toBe(false);
    // An escaped quote does not end the string.
    expect(nestingExceeds(JSON.stringify({ text: '"[[[[' }), 1)).toBe(false);
  });

  it('measures a million levels in one pass', () => {
    expect(nestingExceeds('['.repeat(1_000_000), 64)).toBe(true);
  });
});

describe('parseJsonBody', () => {
  it('an empty body is no body; anything else is strict', () => {
    expect(parseJsonBody(Buffer.from(''))).toBeUndefined();
    expect(parseJsonBody(Buffer.from(' \r\n'))).toBeUndefined();
    expect(parseJsonBody(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(refusal(() => parseJsonBody(Buffer.from('{')))).toEqual({ status: 400, message: 'The request body is not valid JSON.' });
    expect(refusal(() => parseJsonBody(Buffer.from([0x22, 0xff, 0x22])))).toEqual({ status: 400, message: 'The request body is not valid UTF-8.' });
    expect(refusal(() => parseJsonBody(Buffer.from(`${'['.repeat(65)}${']'.repeat(65)}`)))).toEqual({ status: 400, message: 'The request body is nested deeper than 64 levels.' });
    expect(parseJsonBody(Buffer.from(`${'['.repeat(64)}${']'.repeat(64)}`))).toBeInstanceOf(Array);
  });
});

describe('findValueProblem', () => {
  it('names the first value or key the database cannot hold', () => {
    expect(findValueProblem({ product: { name: 'ok', tags: ['a', 'b\u0000'] } })).toEqual({ path: 'product.tags[1]', problem: textProblem('\u0000') });
    expect(findValueProblem({ 'k\ud800': 1 })).toEqual({ path: 'k\ud800', problem: 'is not valid Unicode (it holds an unpaired surrogate)' });
    expect(findValueProblem({ emoji: '🚀 fine' })).toBeUndefined();
  });

  it('refuses keys that reach a prototype, and nothing merely named like one', () => {
    expect(findValueProblem(JSON.parse('{"a":{"__proto__":{}}}'))).toMatchObject({ path: 'a.__proto__' });
    expect(findValueProblem({ constructor: { prototype: {} } })).toMatchObject({ path: 'constructor.prototype' });
    expect(findValueProblem({ constructor: 'Object', prototype: 1 })).toBeUndefined();
  });

  it('bounds nesting without recursion, and reads only the name and type of files', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findValueProblem(deep)).toEqual({ path: '[0]'.repeat(64), problem: 'is nested deeper than 64 levels' });
    const file = new Upload('a\u0000.png', 'image/png', Buffer.from([0]));
    expect(findValueProblem({ logo: file })).toEqual({ path: 'logo', problem: `has a file name or type that ${textProblem('\u0000')}` });
  });
});

describe('parseFormBody', () => {
  it('reads Rails names: nesting, lists, + as a space, the last plain value wins', () => {
    const body = parseFormBody(Buffer.from('product%5Bname%5D=Form+Encoded&product[tags][]=a&product[tags][]=b&product[meta][x][y]=1&flat=1&flat=2&empty'));
    expect(body).toEqual({ product: { name: 'Form Encoded', tags: ['a', 'b'], meta: { x: { y: '1' } } }, flat: '2', empty: '' });
    expect(parseFormBody(Buffer.from(''))).toBeUndefined();
  });

  it('refuses what the multipart names refuse, and what is not UTF-8', () => {
    expect(refusal(() => parseFormBody(Buffer.from('a[__proto__][b]=1')))).toMatchObject({ status: 400, message: expect.stringMatching(/is not valid/) });
    expect(refusal(() => parseFormBody(Buffer.from('a=%E9')))).toMatchObject({ status: 400, message: expect.stringMatching(/not percent-encoded UTF-8/) });
    expect(refusal(() => parseFormBody(Buffer.from(`a${'[b]'.repeat(17)}=1`)))).toMatchObject({ status: 400, message: expect.stringMatching(/nests deeper than 16 levels/) });
    expect(refusal(() => parseFormBody(Buffer.from(Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&'))))).toMatchObject({ status: 413 });
  });
});
