import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output, relativeTime, type Column, type Format } from '../../../src/cli/output.js';

interface Row {
  id: string;
  name: string;
  updated: string;
  tags: string[] | null;
}

const PRODUCTS = { one: 'product', many: 'products' };
const NOW = new Date('2025-06-01T12:00:00Z');
const rows: Row[] = [
  { id: '11111111-1111-4111-8111-111111111111', name: 'Growth Chart', updated: '2025-06-01T11:57:00Z', tags: ['fhir'] },
  { id: '22222222-2222-4222-8222-222222222222', name: 'Tab\tand\nnewline', updated: '2025-05-30T12:00:00Z', tags: null },
];
const columns: Column<Row>[] = [
  { header: 'id', value: (r) => r.id, kind: 'id' },
  { header: 'name', value: (r) => r.name },
  { header: 'tags', value: (r) => r.tags },
  { header: 'updated', value: (r) => r.updated, kind: 'time' },
];

async function printer(options: { format?: Format; tty?: boolean; color?: boolean }) {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const output = await Output.create({ stdout, stderr, format: options.format, color: options.color ?? false, now: () => NOW });
  return { output, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('Output', () => {
  it('prints an aligned table with relative times on a terminal (a value on one line), and a summary on stderr', async () => {
    const p = await printer({ tty: true });
    await p.output.list(rows, columns, { total: 40, noun: PRODUCTS });
    expect(p.stdout()).toBe(
      [
        'ID                                    NAME             TAGS      UPDATED',
        '11111111-1111-4111-8111-111111111111  Growth Chart     ["fhir"]  3 minutes ago',
        '22222222-2222-4222-8222-222222222222  Tab and newline            2 days ago',
        '',
      ].join('\n'),
    );
    expect(p.stderr()).toBe('Showing 2 of 40 products\n');
  });

  it('colours headers bold and ids and times dim only when colour is on', async () => {
    const p = await printer({ tty: true, color: true });
    await p.output.list(rows.slice(0, 1), columns);
    expect(p.stdout()).toContain('\x1b[1mID\x1b[22m');
    expect(p.stdout()).toContain('\x1b[2m3 minutes ago\x1b[22m');
  });

  it('prints tab-separated fields with ISO times in a pipe, cells kept on one line', async () => {
    const p = await printer({});
    expect(p.output.format).toBe('plain');
    await p.output.list(rows, columns, { noun: PRODUCTS });
    expect(p.stdout()).toBe(
      `${rows[0]!.id}\tGrowth Chart\t["fhir"]\t2025-06-01T11:57:00Z\n${rows[1]!.id}\tTab and newline\t\t2025-05-30T12:00:00Z\n`,
    );
    expect(p.stderr()).toBe('2 products\n');
  });

  it('prints exactly the objects as JSON (indented on a terminal) or YAML, with no notices', async () => {
    const piped = await printer({ format: 'json' });
    await piped.output.list(rows, columns, { noun: PRODUCTS });
    expect(JSON.parse(piped.stdout())).toEqual(rows);
    expect(piped.stdout().split('\n')).toHaveLength(2);
    expect(piped.stderr()).toBe('');

    const terminal = await printer({ format: 'json', tty: true });
    await terminal.output.record(rows[0]);
    expect(terminal.stdout()).toBe(`${JSON.stringify(rows[0], null, 2)}\n`);

    const yaml = await printer({ format: 'yaml' });
    await yaml.output.list([rows[0]!], columns);
    expect(yaml.stdout()).toBe(`- id: ${rows[0]!.id}\n  name: Growth Chart\n  updated: 2025-06-01T11:57:00Z\n  tags:\n    - fhir\n`);
    yaml.output.notice('hidden');
    yaml.output.success('hidden');
    expect(yaml.stderr()).toBe('');
  });

  it('counts in the singular for one', async () => {
    const p = await printer({});
    await p.output.list(rows.slice(0, 1), columns, { noun: PRODUCTS });
    expect(p.stderr()).toBe('1 product\n');
  });

  it('says so when a list is empty, on stderr', async () => {
    const p = await printer({});
    await p.output.list([], columns, { noun: PRODUCTS });
    expect(p.stdout()).toBe('');
    expect(p.stderr()).toBe('No products.\n');
  });

  it('prints one record as aligned fields on a terminal and key<TAB>value in a pipe', async () => {
    const terminal = await printer({ tty: true });
    await terminal.output.record(rows[0]!, columns);
    expect(terminal.stdout()).toBe(`id       ${rows[0]!.id}\nname     Growth Chart\ntags     ["fhir"]\nupdated  3 minutes ago\n`);
    const piped = await printer({});
    await piped.output.record({ a: 1, b: null });
    expect(piped.stdout()).toBe('a\t1\nb\t\n');
  });

  it('shows progress only on a terminal, and clears it before the next message', async () => {
    const terminal = await printer({ tty: true });
    terminal.output.progress('Fetched 100 of 300…');
    terminal.output.progress('Fetched 200 of 300…');
    terminal.output.notice('300 products');
    expect(terminal.stderr()).toBe('\r\x1b[2KFetched 100 of 300…\r\x1b[2KFetched 200 of 300…\r\x1b[2K300 products\n');

    for (const quiet of [await printer({}), await printer({ tty: true, format: 'json' })]) {
      quiet.output.progress('Fetched 100 of 300…');
      quiet.output.endProgress();
      expect(quiet.stderr()).toBe('');
    }
  });
});

describe('relativeTime', () => {
  it.each([
    ['2025-06-01T11:59:55Z', 'just now'],
    ['2025-06-01T11:59:00Z', '1 minute ago'],
    ['2025-06-01T09:00:00Z', '3 hours ago'],
    ['2025-06-03T12:00:00Z', 'in 2 days'],
    ['2025-01-01T00:00:00Z', '2025-01-01'],
    ['not a date', 'not a date'],
  ])('%s is %s', (iso, text) => {
    expect(relativeTime(iso, NOW)).toBe(text);
  });
});
