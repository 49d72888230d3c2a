/**
 * Which modules a child process loads: `NODE_OPTIONS=--import …` registers a resolve hook
 * (node:module `register`) that appends every URL the process resolves through `import` to a
 * file. Enough to show that a package was never imported (CommonJS `require` calls inside a
 * package are not seen, but a package's first load from hsp's ESM code is).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ModuleLog {
  /** For the child's environment. */
  env: Record<string, string>;
  /** Every URL resolved so far, in order. */
  loaded(): Promise<string[]>;
}

/** A module log kept in `dir` (a scratch folder of the test's). */
export async function moduleLog(dir: string): Promise<ModuleLog> {
  const log = join(dir, 'modules.log');
  const hook = join(dir, 'resolve-hook.mjs');
  const register = join(dir, 'register-hook.mjs');
  await writeFile(log, '');
  await writeFile(
    hook,
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
}
`,
  );
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)}, { data: { log: ${JSON.stringify(log)} } });\n`);
  return {
    env: { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` },
    loaded: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean),
  };
}
