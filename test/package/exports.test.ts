/**
 * The built package as users get it: `import` and `require` both work, with types.
 * Runs against dist/, which `npm test` builds first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(`${root}/dist/index.js`) && existsSync(`${root}/dist/index.cjs`);
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('package exports', () => {
  it('dist is built (npm test builds it)', () => {
    expect(built).toBe(true);
  });

  it('loads from ESM', () => {
    expect(node(['--input-type=module', '-e', "import { Marketplace, VERSION } from 'hsp'; console.log(typeof Marketplace, VERSION)"])).toMatch(/^function \d+\.\d+\.\d+/);
  });

  it('loads from CommonJS', () => {
    expect(node(['-e', "const { Marketplace, NotFoundError } = require('hsp'); console.log(typeof Marketplace, typeof NotFoundError)"])).toBe('function function');
  });

  it('type-checks for ESM and CommonJS consumers', { timeout: 60_000 }, () => {
    const tsc = `${root}/node_modules/typescript/bin/tsc`;
    expect(() => execFileSync(process.execPath, [tsc, '-p', 'test/package/fixtures/tsconfig.json'], { cwd: root, encoding: 'utf8' })).not.toThrow();
  });
});
