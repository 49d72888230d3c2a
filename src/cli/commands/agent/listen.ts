import type { CliContext } from '../../context.js';

export async function listen(_ctx: CliContext, _opts: Record<string, unknown>): Promise<void> {
  throw new Error('Not built yet.');
}
