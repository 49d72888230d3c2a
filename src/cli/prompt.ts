/**
 * Questions at a terminal, through @inquirer/prompts. Callers check `ctx.interactive` first:
 * inquirer would otherwise wait forever on a closed stdin.
 */
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';

export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false }, { input: ctx.io.stdin, output: ctx.io.stderr });
}

/**
 * Asks before something that cannot be undone. Without a terminal nobody can answer, so the
 * command fails and names the flag (`--yes`) that says "yes" up front.
 */
export async function requireConfirmation(ctx: CliContext, question: string): Promise<void> {
  if (!ctx.interactive) throw new UsageError(`${question.replace(/\?.*$/, '')}: pass --yes to confirm when not at a terminal.`);
  if (!(await confirm(ctx, question))) throw new UsageError('Cancelled.');
}
