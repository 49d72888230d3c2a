/**
 * The questions `hsp init` asks at a terminal, behind an interface so that tests answer them.
 * Callers check `ctx.interactive` first (src/cli/prompt.ts): inquirer would otherwise wait
 * forever on a closed stdin.
 */
import type { CliContext } from '../../context.js';
import { InterruptedError } from '../../errors.js';

export interface Question {
  message: string;
  default?: string;
  /** `true`, or why the answer cannot be used (shown, and the question asked again). */
  validate?: (answer: string) => true | string;
}

export interface InitPrompts {
  input(question: Question): Promise<string>;
}

/** @inquirer/prompts over the context's streams, loaded only when a question is asked. */
export function inquirerInitPrompts(ctx: CliContext): InitPrompts {
  return {
    async input(question) {
      const { input } = await import('@inquirer/prompts');
      try {
        return await input({ message: question.message, default: question.default, validate: question.validate }, { input: ctx.io.stdin, output: ctx.io.stderr });
      } catch (error) {
        // Ctrl-C is "Cancelled." (exit code 130), as elsewhere in hsp, not inquirer's own sentence.
        if ((error as Error)?.name === 'ExitPromptError') throw new InterruptedError('Cancelled.', { cause: error });
        throw error;
      }
    },
  };
}
