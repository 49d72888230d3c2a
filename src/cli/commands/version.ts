/** `hsp version`: what `--version` prints, plus the Node.js it runs on (for bug reports). */
import { VERSION } from '../../version.js';
import type { CliContext } from '../context.js';

export async function version(ctx: CliContext): Promise<void> {
  const runtime = { hsp: VERSION, node: process.version, platform: `${process.platform}-${process.arch}` };
  if (ctx.output.machine) return ctx.output.data(runtime);
  ctx.io.stdout.write(`hsp ${runtime.hsp}\nnode ${runtime.node} (${runtime.platform})\n`);
}
