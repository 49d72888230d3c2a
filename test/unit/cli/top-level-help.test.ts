/**
 * `hsp --help` is printed from light declarations (top-help.ts) without building the command
 * tree. The page must be the one the full tree prints, byte for byte, at any terminal width:
 * a command added, renamed, re-worded or regrouped in the tree, or a change in commander's
 * layout, shows up here as a difference.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { topLevelHelp } from '../../../src/cli/top-help.js';

/** The program's help as the full tree prints it, for a terminal this wide (none: a pipe). */
function fullTreeHelp(width: number | undefined): string {
  let text = '';
  const write = (chunk: string) => (text += chunk);
  const io = { stdout: { write }, stderr: { write }, stdin: process.stdin, env: {} } as unknown as Parameters<typeof buildProgram>[0]['io'];
  // Commander takes an undefined width as "not a terminal" (80 columns); its type says number.
  const program = buildProgram({ io }).configureOutput({ getOutHelpWidth: () => width as number, getOutHasColors: () => false });
  program.outputHelp();
  return text;
}

describe('the light top-level help', () => {
  it('is the full tree’s page when standard output is not a terminal (80 columns)', () => {
    const page = topLevelHelp(80);
    expect(page).toBe(fullTreeHelp(undefined));
    // Not vacuous: every group and a command of each is on the page.
    for (const line of ['Common commands:', 'Catalogue:', 'Licensing:', 'Deployment:', 'Administration:', 'More commands:', 'Flags:', 'Examples:']) expect(page).toContain(`\n${line}\n`);
    expect(page).toMatch(/^ {2}products\|services +Products/m);
  });

  // 40–60 columns: commander stops wrapping descriptions narrower than 40; the widest are long lines.
  it.each([40, 52, 64, 72, 100, 132, 200, 300])('is the full tree’s page on a %i-column terminal', (width) => {
    expect(topLevelHelp(width)).toBe(fullTreeHelp(width));
  });
});
