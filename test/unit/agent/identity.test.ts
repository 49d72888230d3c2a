/** Agent registrations on disk: written atomically, found by id or name, bad files explained. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyFile,
  findRegistration,
  loadRegistration,
  loadRegistrations,
  registrationFile,
  removeRegistration,
  saveRegistration,
  type AgentRegistration,
} from '../../../src/agent/identity.js';

const A = '3d9d0872-a1f5-4e4b-9324-af608b423aae';
const B = '931cc915-a828-4d9c-86dc-4a11a0b4be4e';
const C = '2e25631c-eb8f-4594-8593-2894e3d24f62';
const OWNER = '53ae2c3f-a31f-4a95-a8c9-536f9c6cfde2';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function registration(platformId: string, name: string, url = 'http://127.0.0.1:3000'): AgentRegistration {
  return { url, platform_id: platformId, platform_name: name, user_id: OWNER, key_file: defaultKeyFile(dir, platformId), registered_at: '2025-01-01T12:00:00.000Z' };
}

describe('agent registrations', () => {
  it('are one YAML file per platform under <config>/agents, with no secrets, read back as written', async () => {
    const written = registration(A, 'lab');
    const path = await saveRegistration(dir, { ...written, url: 'http://127.0.0.1:3000/' });
    expect(path).toBe(join(dir, 'agents', `${A}.yaml`));
    expect(registrationFile(dir, A.toUpperCase())).toBe(path);
    expect(defaultKeyFile(dir, A)).toBe(join(dir, 'agents', `${A}.key`));
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/^# hsp agent: .*No secrets here\.\n/);
    expect(text).not.toMatch(/PRIVATE KEY|token/i);
    expect(await loadRegistration(dir, A)).toEqual(written);
    expect(await loadRegistration(dir, B)).toBeUndefined();
    expect(await readdir(join(dir, 'agents'))).toEqual([`${A}.yaml`]);
  });

  it('are found by id, or by a name unique among those of the marketplace', async () => {
    await saveRegistration(dir, registration(A, 'lab'));
    await saveRegistration(dir, registration(B, 'edge'));
    await saveRegistration(dir, registration(C, 'lab', 'https://marketplace.example.org'));

    expect((await findRegistration(dir, A, 'http://127.0.0.1:3000/'))?.platform_name).toBe('lab');
    expect(await findRegistration(dir, A, 'https://marketplace.example.org')).toBeUndefined();
    expect((await findRegistration(dir, 'lab', 'http://127.0.0.1:3000'))?.platform_id).toBe(A);
    expect((await findRegistration(dir, 'lab', 'https://marketplace.example.org'))?.platform_id).toBe(C);
    expect((await findRegistration(dir, 'edge'))?.platform_id).toBe(B);
    expect(await findRegistration(dir, 'nowhere', 'http://127.0.0.1:3000')).toBeUndefined();
    await expect(findRegistration(dir, 'lab')).rejects.toThrow('This host is the agent of several platforms named "lab" on several marketplaces; use the platform id (or --url).');
    expect((await loadRegistrations(dir, 'http://127.0.0.1:3000')).map((r) => r.platform_name).sort()).toEqual(['edge', 'lab']);

    await removeRegistration(dir, A);
    await removeRegistration(dir, A);
    expect(await findRegistration(dir, 'lab', 'http://127.0.0.1:3000')).toBeUndefined();
  });

  it('without a directory yet, there are none', async () => {
    expect(await loadRegistrations(join(dir, 'missing'))).toEqual([]);
    expect(await findRegistration(join(dir, 'missing'), 'lab')).toBeUndefined();
  });

  it('explain a broken file in one sentence naming the file, line and field', async () => {
    await mkdir(join(dir, 'agents'));
    const path = registrationFile(dir, A);
    const good = { url: 'http://127.0.0.1:3000', platform_id: A, platform_name: 'lab', user_id: OWNER, key_file: '/keys/a.key', registered_at: '2025-01-01T12:00:00Z' };
    const yaml = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';

    await writeFile(path, yaml({ ...good, user_id: 'someone' }));
    await expect(loadRegistration(dir, A)).rejects.toThrow(`${path} line 4: user_id must be a UUID.`);

    await writeFile(path, yaml({ ...good, url: 'ftp://x' }));
    await expect(loadRegistration(dir, A)).rejects.toThrow(`${path} line 1: url must be an http:// or https:// URL.`);

    const { key_file: _omitted, ...withoutKey } = good;
    await writeFile(path, yaml(withoutKey));
    await expect(loadRegistration(dir, A)).rejects.toThrow(`${path}: key_file is missing; run "hsp agent register" again.`);

    await writeFile(path, yaml({ ...good, platform_id: B }));
    await expect(loadRegistration(dir, A)).rejects.toThrow(`${path}: platform_id is ${B}, but the file is named for ${A}.`);

    await writeFile(path, 'url: [unclosed\n');
    await expect(loadRegistration(dir, A)).rejects.toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+ is not valid YAML: `));

    await writeFile(path, '- a list\n');
    await expect(loadRegistration(dir, A)).rejects.toThrow(`${path} line 1: an agent registration must be a mapping (url, platform_id, …).`);
  });

  it('never turn something other than a platform id into a path', async () => {
    expect(() => registrationFile(dir, '../../etc/passwd')).toThrow('"../../etc/passwd" is not a platform id (a UUID).');
    expect(() => defaultKeyFile(dir, 'lab')).toThrow('"lab" is not a platform id (a UUID).');
    // Names are looked up among the files, never used as file names.
    await saveRegistration(dir, registration(A, '../../escape'));
    expect((await findRegistration(dir, '../../escape'))?.platform_id).toBe(A);
  });
});
