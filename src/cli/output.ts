/**
 * How commands print: aligned, coloured tables with relative times on a terminal; tab-separated
 * plain fields in a pipe; exactly the API objects with --json (or YAML with -o yaml). Data goes
 * to stdout; notices and progress go to stderr, and never in JSON/YAML mode.
 */
import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';

export type Format = 'table' | 'plain' | 'json' | 'yaml';

export interface Column<T> {
  header: string;
  value: (item: T) => unknown;
  /** `time` prints "3 minutes ago" on a terminal and ISO in pipes; `id` is dimmed. */
  kind?: 'time' | 'id' | 'text';
}

export interface OutputOptions {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  format?: Format;
  color: boolean;
  now?: () => Date;
}

/** What a list holds, for its summary line: "1 instance", "2 instances". */
export interface Noun {
  one: string;
  many: string;
}

export class Output {
  readonly format: Format;
  private readonly stdout: OutputOptions['stdout'];
  private readonly stderr: OutputOptions['stderr'];
  private readonly colors: ChalkInstance | undefined;
  private readonly now: () => Date;
  /** A progress line is on the terminal and must be cleared before anything else is written. */
  private progressShown = false;

  private constructor(options: OutputOptions, colors: ChalkInstance | undefined) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.format = options.format ?? (options.stdout.isTTY ? 'table' : 'plain');
    this.colors = colors;
    this.now = options.now ?? (() => new Date());
  }

  static async create(options: OutputOptions): Promise<Output> {
    // chalk is loaded only when colour is on: pipes and --json never pay for it.
    const colors = options.color ? new (await import('chalk')).Chalk({ level: 1 }) : undefined;
    return new Output(options, colors);
  }

  get machine(): boolean {
    return this.format === 'json' || this.format === 'yaml';
  }

  /** A list: the objects themselves in JSON/YAML, else a table with a one-line summary. */
  async list<T>(items: T[], columns: Column<T>[], summary?: { total?: number; noun: Noun }): Promise<void> {
    if (this.machine) return this.data(items);
    if (!items.length) {
      this.notice(`No ${summary?.noun.many ?? 'results'}.`);
      return;
    }
    const rows = items.map((item) => columns.map((c) => this.cell(c, item)));
    if (this.format === 'plain') {
      this.stdout.write(rows.map((r) => r.map((c) => c.text).join('\t')).join('\n') + '\n');
    } else {
      this.stdout.write(this.table(columns.map((c) => c.header), rows));
    }
    if (summary) {
      const total = summary.total ?? items.length;
      const noun = total === 1 ? summary.noun.one : summary.noun.many;
      this.notice(total > items.length ? `Showing ${items.length} of ${total} ${noun}` : `${items.length} ${noun}`);
    }
  }

  /** One record: JSON/YAML as is, else `field: value` lines. */
  async record<T>(item: T, columns?: Column<T>[]): Promise<void> {
    if (this.machine) return this.data(item);
    const fields: Column<T>[] = columns ?? Object.keys(item as object).map((key) => ({ header: key, value: (i: T) => (i as Record<string, unknown>)[key] }));
    const width = Math.max(...fields.map((f) => f.header.length));
    const lines = fields.map((f) => {
      const { text } = this.cell(f, item);
      return this.format === 'plain' ? `${f.header}\t${text}` : `${this.paint('bold', f.header.padEnd(width))}  ${text}`;
    });
    this.stdout.write(`${lines.join('\n')}\n`);
  }

  /** Raw data in the machine format (JSON by default). */
  async data(value: unknown): Promise<void> {
    if (this.format === 'yaml') {
      const { stringify } = await import('yaml');
      this.stdout.write(stringify(value));
    } else {
      this.stdout.write(`${JSON.stringify(value, null, this.stdout.isTTY ? 2 : undefined)}\n`);
    }
  }

  /** A note for people (stderr); silent in machine formats. */
  notice(text: string): void {
    this.endProgress();
    if (!this.machine) this.stderr.write(`${text}\n`);
  }

  /**
   * A transient status line ("Fetched 200 of 412 products…") that the next one replaces. Only
   * on a terminal: in pipes and machine formats progress is noise, and `\r` garbles logs.
   */
  progress(text: string): void {
    if (this.machine || !this.stderr.isTTY) return;
    this.stderr.write(`\r\x1b[2K${text}`);
    this.progressShown = true;
  }

  /** Clears the progress line, if one is shown. */
  endProgress(): void {
    if (!this.progressShown) return;
    this.stderr.write('\r\x1b[2K');
    this.progressShown = false;
  }

  success(text: string): void {
    this.notice(`${this.paint('green', '✓')} ${text}`);
  }

  warn(text: string): void {
    this.endProgress();
    this.stderr.write(`${this.paint('yellow', '!')} ${text}\n`);
  }

  private cell<T>(column: Column<T>, item: T): { text: string; width: number; painted: string } {
    const raw = column.value(item);
    // One line per row, one field per column: tabs and line breaks inside a value become spaces.
    let text = (raw === null || raw === undefined ? '' : typeof raw === 'object' ? JSON.stringify(raw) : String(raw)).replace(/[\t\r\n]/g, ' ');
    let painted = text;
    if (column.kind === 'time' && typeof raw === 'string' && this.format === 'table') {
      text = relativeTime(raw, this.now());
      painted = this.paint('dim', text);
    } else if (column.kind === 'id' && this.format === 'table') {
      painted = this.paint('dim', text);
    }
    return { text, width: text.length, painted };
  }

  private table(headers: string[], rows: { text: string; width: number; painted: string }[][]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.width)));
    const pad = (text: string, painted: string, i: number) => (i === widths.length - 1 ? painted : painted + ' '.repeat(widths[i]! - text.length));
    const head = headers.map((h, i) => pad(h, this.paint('bold', h.toUpperCase()), i)).join('  ');
    const body = rows.map((r) => r.map((c, i) => pad(c.text, c.painted, i)).join('  '));
    return `${[head, ...body].join('\n')}\n`;
  }

  private paint(style: 'bold' | 'dim' | 'green' | 'yellow' | 'red', text: string): string {
    return this.colors ? this.colors[style](text) : text;
  }
}

/** "just now", "3 minutes ago", "in 2 days", falling back to the date after a month. */
export function relativeTime(iso: string, now: Date): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return iso;
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const units: [number, string][] = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [30, 'day'],
  ];
  if (abs < 10) return 'just now';
  let value = abs;
  for (const [size, unit] of units) {
    if (value < size) {
      const text = `${value} ${unit}${value === 1 ? '' : 's'}`;
      return seconds >= 0 ? `${text} ago` : `in ${text}`;
    }
    value = Math.floor(value / size);
  }
  return then.toISOString().slice(0, 10);
}
