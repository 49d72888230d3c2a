import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';

/** The `hsp` program. Command modules are imported only when their command runs. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('hsp')
    .description('The HL7 Health Services Platform (HSP) Marketplace: SDK, CLI, platform agent and local marketplace.')
    .version(VERSION, '-v, --version', 'print the version')
    .showSuggestionAfterError()
    .configureOutput({ outputError: (message, write) => write(message) });
  program.exitOverride();

  program
    .command('serve')
    .description('Run a Marketplace Service on this machine (embedded database unless --database-url)')
    .option('-p, --port <port>', 'port to listen on (env PORT; default 3000, 0 for any free port)')
    .option('--host <host>', 'address to listen on (env HOST; default 127.0.0.1)')
    .option('--data-dir <dir>', 'keep the embedded database here (env HSP_DATA_DIR; default $XDG_DATA_HOME/hsp/marketplace)')
    .option('--memory', 'use a throw-away in-memory database')
    .addOption(new Option('--database-url <url>', 'use this PostgreSQL server instead (env DATABASE_URL)'))
    .option('--log', 'log every request as a JSON line on stdout')
    .addHelpText('after', '\nExamples:\n  $ hsp serve --memory\n  $ hsp serve --port 8080 --data-dir ./marketplace\n  $ DATABASE_URL=postgres://hsp@db/hsp hsp serve --host 0.0.0.0')
    .action(async (options) => {
      const { serve } = await import('./commands/serve.js');
      const server = await serve(options, { stdout: process.stdout, stderr: process.stderr, env: process.env });
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
    if (process.exitCode !== 0 && !isCommanderError(error)) process.stderr.write(`${messageOf(error)}\n`);
  }
}

function isCommanderError(error: unknown): error is { code: string; exitCode: number } {
  return !!error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('commander.');
}

function exitCodeFor(error: unknown): number {
  if (isCommanderError(error)) {
    return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code) ? 0 : 2;
  }
  if (error instanceof InvalidArgumentError || (error as Error)?.name === 'UsageError') return 2;
  return 1;
}

/** One sentence, never a stack trace. */
function messageOf(error: unknown): string {
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    return `The port is already in use (${(error as Error).message.replace(/^listen /, '')}); choose another with --port.`;
  }
  const message = (error as Error)?.message ?? String(error);
  return message.split('\n')[0] ?? message;
}
