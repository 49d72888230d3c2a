/**
 * Questions at a terminal, through @inquirer/prompts. Callers check `ctx.interactive` first:
 * inquirer would otherwise wait forever on a closed stdin.
 */
import type { CliContext } from './context.js';
import { FailureError, InterruptedError, UsageError } from './errors.js';

export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  const { confirm: ask } = await import('@inquirer/prompts');
  try {
    return await ask({ message, default: false }, { input: ctx.io.stdin, output: ctx.io.stderr });
  } catch (error) {
    // Ctrl+C at the question: exit code 130, as a shell reports an interrupted command.
    if ((error as Error)?.name === 'ExitPromptError') throw new InterruptedError('Cancelled.', { cause: error });
    throw error;
  }
}

/**
 * Asks before something that cannot be undone. Without a terminal nobody can answer, so the
 * command fails and names the flag (`--yes`) that says "yes" up front.
 */
export async function requireConfirmation(ctx: CliContext, question: string): Promise<void> {
  if (!ctx.interactive) throw new UsageError(`${question.replace(/\?.*$/, '')}: pass --yes to confirm when not at a terminal.`);
  // Answered no: nothing was done, as asked; exit code 1, as for any command that did not do its work.
  if (!(await confirm(ctx, question))) throw new FailureError('Cancelled.');
}
