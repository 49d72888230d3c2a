/**
 * The `hsp` command tree. Commands are declared here (cheap: commander only); what they run
 * is imported when they run. `hsp --help` alone does not build this tree (see top-help.ts).
 */
import { Argument, Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { createContext, type CliIO, type TargetResolver } from './context.js';
import { debugDetails, describeError, EXIT, exitCodeFor } from './errors.js';
import { addGlobalOptions, globalOptionsOf, inheritGlobalOptions, usesGlobalOptions } from './global-options.js';
import { COMMON_GROUP, helpCommand, helpForGroups, helpSettings, MORE_GROUP } from './help.js';
import { repeatable } from './key-value.js';
import { nouns } from './nouns/index.js';
import { agentCommand } from './commands/agent/index.js';
import { registerAuthCommands } from './commands/auth/index.js';
import { manifestCommands } from './commands/manifest/index.js';
import { publishCommand } from './commands/publish/index.js';
import { expandCommand, nounCommand, withExamples, type Runner } from './resource-command.js';
import { COMMON_COMMANDS, PROGRAM_DESCRIPTION, PROGRAM_EXAMPLES, PROGRAM_FOOTER } from './top-help.js';

export interface ProgramOptions {
  io: CliIO;
  resolveTarget?: TargetResolver;
}

/** What a run leaves for `runCli`: the exit code, and whether `--debug` asks for error details. */
export interface RunState {
  exitCode: number;
  debug: boolean;
}

/** Runs `hsp` with these arguments (without `node hsp`) and resolves to the exit code. */
export async function runCli(args: string[], options: ProgramOptions): Promise<number> {
  const { io } = options;
  const state: RunState = { exitCode: EXIT.ok, debug: false };
  const program = buildProgram(options, state);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    // Commander has printed its own sentence (an unknown flag, a missing argument) already.
    if (error instanceof CommanderError) return exitCodeFor(error);
    const { message, hint } = describeError(error);
    io.stderr.write(`${message}\n${hint ? `${hint}\n` : ''}`);
    if (state.debug) io.stderr.write(debugDetails(error).map((line) => `debug: ${line}\n`).join(''));
    return exitCodeFor(error);
  }
  return state.exitCode;
}

export function buildProgram(options: ProgramOptions, state: RunState = { exitCode: EXIT.ok, debug: false }): Command {
  const { io } = options;
  const program = new Command('hsp')
    .description(PROGRAM_DESCRIPTION)
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help');
  addGlobalOptions(program)
    .commandsGroup(MORE_GROUP)
    .configureHelp(helpSettings(COMMON_COMMANDS))
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (message, write) => write(`${asSentence(message)}\n`) })
    .exitOverride();

  const run: Runner = (body) => async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const opts = command.opts();
    const globals = globalOptionsOf(command);
    state.debug = !!globals.debug;
    // Variadic arguments (`search <text...>`) arrive as arrays; optional ones may be missing.
    const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : typeof a === 'string' ? [a] : []));
    const ctx = await createContext(io, globals, options.resolveTarget ?? storedTarget);
    await body(ctx, opts, positional);
    state.exitCode = EXIT.ok;
  };

  for (const spec of nouns) program.addCommand(nounCommand(spec, run));

  // Program-level commands. `serve`, `demo` and `login` (which own their process, server or
  // credentials) are declared here too, each as a function below returning its Command.
  // Listed under "More commands" unless COMMON_COMMANDS names them or they set a group.
  program.addCommand(publishCommand(run, state));
  for (const command of manifestCommands(run)) program.addCommand(command);
  program.addCommand(agentCommand(run).helpGroup('Deployment:'));
  registerAuthCommands(program, run);
  program.addCommand(serveCommand(io));
  program.addCommand(demoCommand(io, state));
  program.addCommand(statusCommand(run));
  program.addCommand(apiCommand(run));
  program.addCommand(completionCommand(run, program));
  program.addCommand(versionCommand(run));

  program.addCommand(usesGlobalOptions(helpCommand(program, expand), []), { hidden: true });
  for (const command of program.commands) if (COMMON_COMMANDS.includes(command.name())) command.helpGroup(COMMON_GROUP);

  withExamples(program, PROGRAM_EXAMPLES);
  program.addHelpText('after', PROGRAM_FOOTER);
  inheritSettings(program);
  inheritGlobalOptions(program);
  helpForGroups(program, expand);
  // A noun's verbs are built when the run reaches the noun (or its help, or a completion script).
  program.hook('preSubcommand', (_program, command) => expand(command));
  return program;
}

/** Builds what a command defers (a noun's verbs), and gives the new commands what the tree got. */
function expand(command: Command): void {
  if (!expandCommand(command)) return;
  inheritSettings(command);
  inheritGlobalOptions(command);
  helpForGroups(command, expand);
}

/** The whole tree, every noun's verbs included: for completion scripts, and tests that walk it. */
export function expandAll(command: Command): Command {
  expand(command);
  for (const child of command.commands) expandAll(child);
  return command;
}

/** Profiles and stored credentials; loaded only when a command needs a marketplace. */
const storedTarget: TargetResolver = async (options, env) => (await import('../auth/target.js')).profileTarget(options, env);

function serveCommand(io: CliIO): Command {
  const serve = new Command('serve')
    .description('Run a Marketplace Service on this machine (embedded database unless --database-url)')
    .option('-p, --port <port>', 'port to listen on (env PORT; default 3000, 0 for any free port)')
    .option('--host <host>', 'address to listen on (env HOST; default 127.0.0.1)')
    .option('--data-dir <dir>', 'keep the embedded database here (env HSP_DATA_DIR; default $XDG_DATA_HOME/hsp/marketplace)')
    .option('--memory', 'use a throw-away in-memory database')
    .option('--database-url <url>', 'use this PostgreSQL server instead (env DATABASE_URL)')
    .option('--log', 'log every request as a JSON line on stdout')
    .option('--no-ui', 'do not serve the Marketplace UI at /ui/ (env HSP_UI=false)')
    .option('--ui-url <url>', 'a Marketplace UI hosted elsewhere: browser sign-ins may return to its pages (env MARKETPLACE_UI_URL)')
    .option('--cors-origin <origin>', 'only pages from this origin may call the API from a browser; repeat for more (env HSP_CORS_ORIGINS, comma-separated; default every origin)', repeatable)
    .option('--query-timeout <duration>', 'cancel a database query after this long (env HSP_QUERY_TIMEOUT; default 10s)')
    .option('--connect-timeout <duration>', 'give up on a PostgreSQL server that does not answer a connection within this long (env HSP_CONNECT_TIMEOUT; default 10s)')
    .option('--body-limit <size>', 'largest request body (env HSP_BODY_LIMIT; default 1MiB)')
    .option('--upload-limit <size>', 'largest uploaded file (env HSP_UPLOAD_LIMIT; default 50MiB)')
    .option('--cable-max-subscriptions <n>', 'event stream: subscriptions per connection (env HSP_CABLE_MAX_SUBSCRIPTIONS; default 100)')
    .option('--cable-max-connections-per-address <n>', 'event stream: connections per client address (env HSP_CABLE_MAX_CONNECTIONS_PER_ADDRESS; default 50)')
    .option('--cable-max-anonymous <n>', 'event stream: anonymous connections in all (env HSP_CABLE_MAX_ANONYMOUS; default 100)')
    .option('--cable-max-buffered <size>', 'event stream: unread events held for a slow reader before it is disconnected (env HSP_CABLE_MAX_BUFFERED; default 4MiB)')
    .option('--trust-forwarded-for', 'count event stream connections by X-Forwarded-For (behind your own proxy; env HSP_TRUST_FORWARDED_FOR=1)');
  // Runs until SIGINT or SIGTERM, then closes cleanly.
  serve.action(async (opts: Record<string, string | string[] | boolean | undefined>) => {
    const { serveUntilStopped } = await import('./commands/serve.js');
    await serveUntilStopped(opts, io);
  });
  // The administrator's way back in, after `hsp logout` or a lost admin.token.
  const token = new Command('token')
    .description("Print a fresh administrator token for a marketplace's data folder (its running server mints it) or PostgreSQL database")
    .option('--data-dir <dir>', 'the data folder (env HSP_DATA_DIR; default $XDG_DATA_HOME/hsp/marketplace)')
    .option('--database-url <url>', 'the PostgreSQL database instead (env DATABASE_URL; with MARKETPLACE_SECRET_KEY_BASE if the server uses it)')
    .option('--connect-timeout <duration>', 'give up on a PostgreSQL server that does not answer a connection within this long (env HSP_CONNECT_TIMEOUT; default 10s)');
  token.action(async (opts: { dataDir?: string; databaseUrl?: string; connectTimeout?: string }, command: Command) => {
    const { serveToken } = await import('./commands/serve.js');
    // `hsp serve --data-dir X token` names the folder before the verb: the serve command read it.
    const before = command.parent?.opts() as { dataDir?: string; databaseUrl?: string; connectTimeout?: string } | undefined;
    const where = { dataDir: opts.dataDir ?? before?.dataDir, databaseUrl: opts.databaseUrl ?? before?.databaseUrl, connectTimeout: opts.connectTimeout ?? before?.connectTimeout };
    await serveToken({ ...where, json: !!globalOptionsOf(command).json }, io);
  });
  serve.addCommand(
    withExamples(usesGlobalOptions(token, ['json']), [
      'hsp serve token --data-dir ./marketplace | hsp login --url http://127.0.0.1:3000 --with-token',
      'DATABASE_URL=postgres://hsp@db/hsp hsp serve token | hsp login --url https://marketplace.example.org --with-token',
    ]),
  );
  // Its options are read before "token" only, so that `serve token --data-dir` is the token's.
  serve.enablePositionalOptions();
  // The server prints no records and asks nothing: no global option means anything to it.
  return withExamples(usesGlobalOptions(serve, []), [
    'hsp serve --memory',
    'hsp serve --port 8080 --data-dir ./marketplace',
    'DATABASE_URL=postgres://hsp@db/hsp hsp serve --host 0.0.0.0',
    'hsp serve token --data-dir ./marketplace   # a fresh administrator token',
  ]);
}

function demoCommand(io: CliIO, state: RunState): Command {
  const demo = new Command('demo')
    .description('Watch the whole system work on this machine: a marketplace, products published from manifests, an agent deploying one')
    .option('--keep', 'keep the marketplace running afterwards');
  demo.action(async (opts: { keep?: boolean }, command: Command) => {
    const { demo: run } = await import('./commands/demo.js');
    const { close } = await run({ json: !!globalOptionsOf(command).json, keep: opts.keep }, io);
    if (opts.keep) await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
    await close();
    state.exitCode = EXIT.ok;
  });
  return withExamples(usesGlobalOptions(demo, ['json']), ['hsp demo', 'hsp demo --json | jq .step']);
}

function statusCommand(run: Runner): Command {
  const status = new Command('status')
    .description("The marketplace's health, and who you are signed in as with which permissions")
    .option('--wait', 'first wait until the marketplace answers (after starting one in the background)')
    .option('--timeout <duration>', 'with --wait: give up after this long, e.g. 30s or 2m (default 60s)');
  status.action(run(async (ctx, opts) => (await import('./commands/status.js')).status(ctx, opts)));
  return withExamples(status, ['hsp status', 'hsp status --json | jq .permissions', 'hsp serve & hsp status --url http://127.0.0.1:3000 --wait']);
}

function apiCommand(run: Runner): Command {
  const api = new Command('api')
    .description('Send any request to the marketplace, signed in, and print the JSON answer (as "gh api")')
    .addArgument(new Argument('<method>', 'GET, POST, PUT, PATCH, DELETE or HEAD'))
    .argument('<path>', 'the path below the marketplace URL, e.g. /products?page=2')
    .option('-f, --raw-field <key=value>', 'a string field (repeat for more); query parameters for GET', repeatable, [] as string[])
    .option('-F, --field <key=value>', 'a typed field: true, false, null and numbers as JSON, @FILE (or @-) for a file\'s text', repeatable, [] as string[])
    .option('--input <file>', 'the request body, JSON, from a file ("-" for stdin); fields then go in the query')
    .option('-H, --header <name: value>', 'a request header (repeat for more)', repeatable, [] as string[])
    .addHelpText(
      'after',
      '\nFields nest with brackets, as the API wraps bodies: -f product[name]=App sends {"product": {"name": "App"}}.\n' +
        'An HTTP error prints the server\'s body on stdout and its message on stderr, and exits 1 (4 for 401).',
    );
  api.action(run(async (ctx, opts, [method, path]) => (await import('./commands/api.js')).api(ctx, method!, path!, opts)));
  return withExamples(api, [
    'hsp api GET /products -f published=true',
    'hsp api POST /licenses -f license[name]=Internal -f license[url]=https://example.com/l -f license[expiry]=indefinite',
    'hsp api PATCH /products/4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60 --input product.json',
    'hsp api GET /status -H "Accept-Language: de"',
  ]);
}

function completionCommand(run: Runner, program: Command): Command {
  const completion = new Command('completion')
    .description('Print a shell completion script (commands, verbs and flags)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']));
  completion.action(run(async (ctx, _opts, [shell]) => (await import('./commands/completion.js')).completion(ctx, expandAll(program), shell as 'bash' | 'zsh' | 'fish')));
  return withExamples(usesGlobalOptions(completion, []), [
    'source <(hsp completion bash)            # bash, now; add it to ~/.bashrc to keep it',
    'hsp completion zsh > "${fpath[1]}/_hsp"   # zsh',
    'hsp completion fish > ~/.config/fish/completions/hsp.fish',
  ]);
}

function versionCommand(run: Runner): Command {
  const version = new Command('version').description('Print the version of hsp and of Node.js');
  version.action(run(async (ctx) => (await import('./commands/version.js')).version(ctx)));
  return withExamples(usesGlobalOptions(version, ['json', 'output']), ['hsp version', 'hsp version --json']);
}

/** Commands made apart and added later do not inherit exit and output handling: pass them down. */
function inheritSettings(parent: Command): void {
  for (const child of parent.commands) {
    child.copyInheritedSettings(parent);
    inheritSettings(child);
  }
}


/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line for stderr. */
function asSentence(message: string): string {
  const text = message
    .replace(/^error:\s*/, '')
    .split('\n')
    .map((line) => line.trim().replace(/^\((.*)\)$/, '$1'))
    .filter(Boolean)
    .map((line) => (/[.!?]$/.test(line) ? line : `${line}.`))
    .join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
