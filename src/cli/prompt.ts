/**
 * Questions at a terminal, through @inquirer/prompts. Callers check `ctx.interactive` first:
 * inquirer would otherwise wait forever on a closed stdin.
 */
import type { CliContext } from './context.js';

export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false }, { input: ctx.io.stdin, output: ctx.io.stderr });
}
