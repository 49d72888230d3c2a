/**
 * The sign-in commands, declared for the program: `login`, `logout`, `whoami`, `auth status`,
 * `auth token` and `config get|set|list`. Declaring is cheap (commander only); what a command
 * runs is imported when it runs.
 */
import { Argument, Command, Option } from 'commander';
import type { CliContext } from '../../context.js';
import { withExamples, type Runner } from '../../resource-command.js';
import type { AuthDeps, AuthOverrides } from './deps.js';

/**
 * Adds the commands to `program`. `overrides` replaces pieces of the outside world (config
 * directory, keychain, browser, prompts) in tests.
 */
export function registerAuthCommands(program: Command, run: Runner, overrides: AuthOverrides = {}): void {
  const deps = async (ctx: CliContext): Promise<AuthDeps> => (await import('./deps.js')).authDeps(ctx, overrides);

  program.addCommand(loginCommand(run, deps));
  program.addCommand(logoutCommand(run, deps));
  program.addCommand(whoamiCommand(run));

  const auth = new Command('auth').description('Where your tokens are kept, and the token itself for scripts');
  const status = new Command('status').description('Show each profile: marketplace, user, where the token is kept and when it expires (never the token)');
  status.action(run(async (ctx) => (await import('./status.js')).authStatus(ctx, await deps(ctx))));
  auth.addCommand(withExamples(status, ['hsp auth status', 'hsp auth status --json']));
  const token = new Command('token').description('Print the token of the selected marketplace on stdout, for scripts');
  token.action(run(async (ctx) => (await import('./token.js')).authToken(ctx, await deps(ctx))));
  auth.addCommand(withExamples(token, ['curl -H "Authorization: Bearer $(hsp auth token)" "$(hsp config get url)/status"']));
  // gh's spellings, for muscle memory; not listed.
  auth.addCommand(loginCommand(run, deps), { hidden: true });
  auth.addCommand(logoutCommand(run, deps), { hidden: true });
  program.addCommand(withExamples(auth, ['hsp auth status', 'hsp auth token']));

  program.addCommand(configCommand(run, deps));
}

type DepsOf = (ctx: CliContext) => Promise<AuthDeps>;

function loginCommand(run: Runner, deps: DepsOf): Command {
  const login = new Command('login')
    .description('Sign in to a marketplace and save it as a profile')
    .option('--url <url>', 'the marketplace (env HSP_URL; default: the profile\'s)')
    .option('--profile <name>', 'save the sign-in under this profile (env HSP_PROFILE; default: the one for this URL, or "default")')
    .option('--with-token', 'read a token from stdin (the default when stdin is not a terminal)')
    .option('--web', 'sign in with a browser through the marketplace (the default at a terminal)')
    .option('--device', 'sign in with a code typed on another device (OpenID Connect device flow)')
    .option('--provider <name|id>', 'the identity provider to sign in with, when there are several')
    .option('--client-id <id>', 'sign in with the identity provider directly, as this OpenID Connect client (PKCE)')
    .addOption(new Option('--callback-port <port>', 'the port of the local listener the browser returns to (default: any free port)'))
    .option('--insecure-storage', 'when no OS keychain is available, keep the token in a plain-text file without asking')
    .addHelpText(
      'after',
      '\nTokens go to the OS keychain. Without one, hsp asks before writing a plain-text file (mode 0600);\n' +
        'without a terminal it writes nothing unless --insecure-storage is given. HSP_TOKEN, when set, wins over stored tokens.',
    );
  login.action(run(async (ctx, opts) => (await import('./login.js')).login(ctx, opts, await deps(ctx))));
  return withExamples(login, [
    'hsp login --url https://marketplace.example.org',
    'hsp login --url http://127.0.0.1:3000 --with-token < ~/.local/share/hsp/marketplace/admin.token',
    'hsp login --url https://marketplace.example.org --device --client-id hsp-cli',
    'echo "$MARKETPLACE_TOKEN" | hsp login --url https://marketplace.example.org --insecure-storage',
  ]);
}

function logoutCommand(run: Runner, deps: DepsOf): Command {
  const logout = new Command('logout').description('Sign out: end the session on the marketplace and delete the stored token');
  logout.action(run(async (ctx) => (await import('./logout.js')).logout(ctx, await deps(ctx))));
  return withExamples(logout, ['hsp logout', 'hsp logout --profile staging']);
}

function whoamiCommand(run: Runner): Command {
  const whoami = new Command('whoami').description('Who you are signed in as, with which identity provider and permissions');
  whoami.action(run(async (ctx) => (await import('./whoami.js')).whoami(ctx)));
  return withExamples(whoami, ['hsp whoami', 'hsp whoami --json']);
}

function configCommand(run: Runner, deps: DepsOf): Command {
  const keys = ['url', 'dialect', 'platform', 'current_profile'];
  const config = new Command('config').description('Read and change settings: url, dialect and platform of a profile, and current_profile');
  const get = new Command('get').description('Print one setting').addArgument(new Argument('<key>', 'the setting').choices(keys));
  get.action(run(async (ctx, _opts, [key]) => (await import('./config.js')).configGet(ctx, await deps(ctx), key!)));
  const set = new Command('set')
    .description('Change one setting ("" resets dialect or platform)')
    .addArgument(new Argument('<key>', 'the setting').choices(keys))
    .argument('<value>', 'its new value');
  set.action(run(async (ctx, _opts, [key, value]) => (await import('./config.js')).configSet(ctx, await deps(ctx), key!, value!)));
  const list = new Command('list').alias('ls').description('Print current_profile and the selected profile\'s settings as key=value');
  list.action(run(async (ctx) => (await import('./config.js')).configList(ctx, await deps(ctx))));
  config.addCommand(withExamples(get, ['hsp config get url', 'hsp config get dialect --profile staging']));
  config.addCommand(withExamples(set, ['hsp config set dialect r1', 'hsp config set url https://staging.example.org --profile staging', 'hsp config set current_profile staging']));
  config.addCommand(withExamples(list, ['hsp config list', 'hsp config list --json']));
  return withExamples(config, ['hsp config list', 'hsp config set dialect r1']);
}
