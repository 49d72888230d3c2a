import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/auth/atomic-file.js';
import { ConfigError, ConfigFile, loadConfig, updateConfig } from '../../../src/auth/config.js';
import { configDir, configFile, credentialsFile } from '../../../src/auth/paths.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('where the config lives', () => {
  it('HSP_CONFIG_DIR, else $XDG_CONFIG_HOME/hsp, else ~/.config/hsp', () => {
    expect(configDir({ HSP_CONFIG_DIR: '/etc/hsp-test', XDG_CONFIG_HOME: '/xdg', HOME: '/home/a' })).toBe('/etc/hsp-test');
    expect(configDir({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/a' })).toBe('/xdg/hsp');
    expect(configDir({ HOME: '/home/a' })).toBe('/home/a/.config/hsp');
    // XDG: a relative XDG_CONFIG_HOME is invalid and ignored.
    expect(configDir({ XDG_CONFIG_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.config/hsp');
    expect(configFile('/d')).toBe('/d/config.yaml');
    expect(credentialsFile('/d')).toBe('/d/credentials.yaml');
  });
});

describe('config.yaml', () => {
  it('a missing file is an empty config', async () => {
    const config = await loadConfig(dir);
    expect(config.config).toEqual({ profiles: {} });
    expect(config.currentProfile).toBeUndefined();
  });

  it('reads profiles and keeps hand-written comments through changes', async () => {
    const text = [
      '# my marketplaces',
      'current_profile: prod # the one I use',
      'profiles:',
      '  # production, careful',
      '  prod:',
      '    url: https://marketplace.example.org',
      '    dialect: r1 # old server',
      '',
    ].join('\n');
    await writeFile(configFile(dir), text);
    await updateConfig(dir, (config) => {
      expect(config.profile('prod')).toEqual({ name: 'prod', url: 'https://marketplace.example.org', dialect: 'r1' });
      config.setProfile('dev', { url: 'http://127.0.0.1:3000', user_id: 'u-1' });
      config.setProfile('prod', { platform: 'ward-7' });
      config.setCurrentProfile('dev');
    });
    const written = await readFile(configFile(dir), 'utf8');
    for (const comment of ['# my marketplaces', '# production, careful', '# old server']) expect(written).toContain(comment);
    const again = await loadConfig(dir);
    expect(again.config).toEqual({
      current_profile: 'dev',
      profiles: {
        prod: { url: 'https://marketplace.example.org', dialect: 'r1', platform: 'ward-7' },
        dev: { url: 'http://127.0.0.1:3000', user_id: 'u-1' },
      },
    });
    expect(again.profileForUrl('http://127.0.0.1:3000/')?.name).toBe('dev');
  });

  it('setting a field to undefined removes it; removing a profile clears current_profile', async () => {
    await updateConfig(dir, (c) => {
      c.setProfile('a', { url: 'http://a.example', user_id: 'x', user_name: 'X' });
      c.setCurrentProfile('a');
    });
    await updateConfig(dir, (c) => c.setProfile('a', { user_id: undefined, user_name: undefined }));
    expect((await loadConfig(dir)).config.profiles.a).toEqual({ url: 'http://a.example' });
    await updateConfig(dir, (c) => c.removeProfile('a'));
    expect((await loadConfig(dir)).config).toEqual({ profiles: {} });
  });

  it('"profiles:" with nothing after it can still be added to', async () => {
    await writeFile(configFile(dir), 'profiles:\n');
    await updateConfig(dir, (c) => c.setProfile('a', { url: 'http://a.example' }));
    expect((await loadConfig(dir)).config.profiles).toEqual({ a: { url: 'http://a.example' } });
  });

  it('malformed YAML is one sentence naming the file, line and column', async () => {
    await writeFile(configFile(dir), 'profiles:\n  prod:\n    url: [http://x\n');
    const error = (await loadConfig(dir).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^${configFile(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line \\d+, column \\d+ is not valid YAML: .+\\.$`));
    expect(error.message).not.toContain('\n');
  });

  it('values of the wrong kind name where they are', async () => {
    const cases: [string, RegExp][] = [
      ['profiles:\n  prod:\n    url: ftp://x\n', /line 3, column 10: profiles\.prod\.url must be an http:\/\/ or https:\/\/ URL\.$/],
      ['profiles:\n  prod:\n    url: http://x\n    dialect: r3\n', /line 4, column 14: profiles\.prod\.dialect must be r1, r2 or auto\.$/],
      ['profiles:\n  prod:\n    dialect: r2\n', /line 2, column 3: profile "prod" has no url\.$/],
      ['profiles: [a, b]\n', /line 1, column 11: profiles must be a mapping/],
      ['- just\n- a list\n', /line 1, column 1: the file must be a mapping/],
      ['current_profile: [x]\n', /line 1, column 18: current_profile must be a profile name\.$/],
    ];
    for (const [text, expected] of cases) {
      let error: Error | undefined;
      try {
        ConfigFile.parse('/c/config.yaml', text);
      } catch (e) {
        error = e as Error;
      }
      if (!error) throw new Error(`accepted: ${text}`);
      expect(error.message, text).toMatch(/^\/c\/config\.yaml /);
      expect(error.message, text).toMatch(expected);
    }
  });

  it('is written atomically with mode 0600, leaving no temporary files', async () => {
    await updateConfig(dir, (c) => c.setProfile('a', { url: 'http://a.example' }));
    expect((await stat(configFile(dir))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['config.yaml']);
  });

  it('concurrent updates all land (the file is re-read under its lock)', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        updateConfig(dir, async (c) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          c.setProfile(`p${i}`, { url: `http://p${i}.example` });
        }),
      ),
    );
    expect(Object.keys((await loadConfig(dir)).config.profiles).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
  });

  it('a change that throws writes nothing', async () => {
    await updateConfig(dir, (c) => c.setProfile('a', { url: 'http://a.example' }));
    const before = await readFile(configFile(dir), 'utf8');
    await expect(
      updateConfig(dir, (c) => {
        c.setProfile('b', { url: 'http://b.example' });
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await readFile(configFile(dir), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['config.yaml']);
  });
});

describe('atomic writes', () => {
  it('replace the file whole, and a failed write leaves the old file and no temporary file', async () => {
    const target = join(dir, 'file.yaml');
    await writeFileAtomic(target, 'one\n');
    await writeFileAtomic(target, 'two\n', { mode: 0o600 });
    expect(await readFile(target, 'utf8')).toBe('two\n');
    expect((await stat(target)).mode & 0o777).toBe(0o600);

    // The rename fails: the target is a non-empty directory.
    const blocked = join(dir, 'blocked');
    await mkdir(blocked);
    await writeFile(join(blocked, 'inside'), 'x');
    await expect(writeFileAtomic(blocked, 'three\n')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['blocked', 'file.yaml']);
  });

  it('creates the directory, readable only by its owner', async () => {
    const nested = join(dir, 'a', 'b', 'config.yaml');
    await writeFileAtomic(nested, 'x: 1\n');
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
  });
});
