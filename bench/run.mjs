/**
 * Benchmark runner: `node --expose-gc bench/run.mjs [word...]` (or `npm run bench`).
 *
 * Runs every `bench/*.bench.mjs` in name order (only those whose file name contains one of the
 * words, when given), prints one markdown table and writes it to `bench/results.md`; a filtered
 * run replaces only its own benchmarks' rows there and keeps the others. Exits 1 when any row
 * misses its target. The module contract is described in bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = join(BENCH_DIR, 'results.md');
const COLUMNS = ['benchmark', 'figure', 'value', 'ratio', 'target', 'pass'];

await main(process.argv.slice(2));

/** @param {string[]} words */
async function main(words) {
  // Memory figures need a real full GC; restart with it rather than report numbers that lie.
  if (typeof globalThis.gc !== 'function') {
    const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }

  const files = discover(words);
  if (files.length === 0) {
    console.error(`No bench/*.bench.mjs file name contains ${words.map((w) => `"${w}"`).join(' or ')}.`);
    process.exitCode = 1;
    return;
  }

  const results = [];
  for (const file of files) results.push(...(await runOne(file)));

  const header = machineLine(words);
  const table = markdownTable(results);
  console.log(`${header}\n\n${table}`);
  const kept = words.length ? keptRows(new Set(results.map((row) => row.benchmark))) : { lines: [], from: '' };
  const written = kept.lines.length ? mergedTable(table, kept.lines) : table;
  const note = kept.lines.length ? `\n\nRows of other benchmarks are kept from the earlier run (${kept.from}).` : '';
  writeFileSync(RESULTS_FILE, `# Benchmark results\n\n${header}${note}\n\n${written}\n`);
  console.error(`Wrote ${RESULTS_FILE}`);
  process.exitCode = results.some((row) => row.pass === false) ? 1 : 0;
}

/**
 * The rows of results.md whose benchmark did not run now, so that `npm run bench -- ui` does
 * not wipe the figures of every other benchmark; with the date of the run they came from.
 */
function keptRows(ran) {
  if (!existsSync(RESULTS_FILE)) return { lines: [], from: '' };
  const text = readFileSync(RESULTS_FILE, 'utf8');
  // Rows already kept from an older run are as old as that run.
  const from =
    /kept from the earlier run \(([^)]+)\)/.exec(text)?.[1] ?? /Machine: .*?, (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(text)?.[1] ?? 'an unknown date';
  const lines = text
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| benchmark |'))
    .filter((line) => !ran.has(line.slice(2).split(' | ')[0]));
  return { lines, from };
}

/** This run's table and the kept rows, ordered by benchmark name as a full run orders them. */
function mergedTable(table, keptLines) {
  const [head, rule, ...fresh] = table.split('\n');
  const name = (line) => line.slice(2).split(' | ')[0];
  const rows = [...fresh, ...keptLines].map((line, index) => ({ line, index }));
  rows.sort((a, b) => name(a.line).localeCompare(name(b.line)) || a.index - b.index);
  return [head, rule, ...rows.map((row) => row.line)].join('\n');
}

/** The benchmark files to run, sorted by name, optionally filtered by words in the name. */
function discover(words) {
  return readdirSync(BENCH_DIR)
    .filter((name) => name.endsWith('.bench.mjs'))
    .filter((name) => words.length === 0 || words.some((word) => name.includes(word)))
    .sort()
    .map((name) => join(BENCH_DIR, name));
}

/**
 * Imports and runs one benchmark file. A benchmark that throws or returns nonsense becomes a
 * failing row, so one broken file cannot hide the others' results or pass silently.
 * @returns {Promise<Array<object>>} rows with a `benchmark` column added
 */
async function runOne(file) {
  const benchmark = basename(file, '.bench.mjs');
  const log = (message) => console.error(`[${benchmark}] ${message}`);
  const started = performance.now();
  let rows;
  try {
    const { default: run } = await import(pathToFileURL(file).href);
    if (typeof run !== 'function') throw new Error('the module has no default export function');
    rows = await run({ gc: globalThis.gc, log });
    if (!Array.isArray(rows) || rows.some((row) => !row || typeof row.figure !== 'string')) {
      throw new Error('run() must return an array of rows, each with a string `figure`');
    }
  } catch (error) {
    log(error?.stack ?? String(error));
    rows = [{ figure: `error: ${error?.message ?? String(error)}`, pass: false }];
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return rows.map((row) => ({ benchmark, ...row }));
}

/** One line naming the machine and the run, so results from different hosts are not mixed up. */
function machineLine(words) {
  const cpus = os.cpus();
  const filter = words.length ? `, filter: ${words.join(' ')}` : '';
  return `Machine: node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${new Date().toISOString()}${filter}`;
}

function markdownTable(rows) {
  const lines = [`| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => ' --- ').join('|')}|`];
  for (const row of rows) lines.push(`| ${cells(row).map(escapeCell).join(' | ')} |`);
  return lines.join('\n');
}

function cells(row) {
  const value = row.value === undefined ? '' : `${row.value}${row.unit ? ` ${row.unit}` : ''}`;
  const pass = row.pass === true ? 'yes' : row.pass === false ? '**NO**' : '';
  return [row.benchmark, row.figure, value, row.ratio ?? '', row.target ?? '', pass];
}

function escapeCell(cell) {
  return String(cell).replaceAll('|', '\\|').replaceAll('\n', ' ');
}
