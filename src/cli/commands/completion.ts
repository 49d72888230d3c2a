/** `hsp completion bash|zsh|fish`: a completion script generated from the command tree. */
import type { Command } from 'commander';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { completionTable } from '../completion/tree.js';
import { zshScript } from '../completion/zsh.js';
import type { CliContext } from '../context.js';

const scripts = { bash: bashScript, zsh: zshScript, fish: fishScript };

export async function completion(ctx: CliContext, program: Command, shell: keyof typeof scripts): Promise<void> {
  ctx.io.stdout.write(scripts[shell](completionTable(program)));
}
