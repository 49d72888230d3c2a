/**
 * `hsp config get KEY | set KEY VALUE | list`: the selected profile's settings (`url`,
 * `dialect`, `platform`) and `current_profile`. The profile is `--profile`, else HSP_PROFILE,
 * else the current one. `set url` on a new `--profile` creates it. Comments in config.yaml
 * survive every change.
 */
import { DIALECTS, loadConfig, normalizeUrl, PROFILE_NAME, PROFILE_NAME_RULE, SETTABLE_PROFILE_KEYS, updateConfig, type ConfigFile, type SettableProfileKey } from '../../../auth/config.js';
import type { Profile } from '../../../auth/types.js';
import type { CliContext } from '../../context.js';
import { FailureError, UsageError } from '../../errors.js';
import type { AuthDeps } from './deps.js';

const KEYS = ['current_profile', ...SETTABLE_PROFILE_KEYS] as const;
type Key = (typeof KEYS)[number];

export async function configGet(ctx: CliContext, deps: AuthDeps, key: string): Promise<void> {
  const checked = keyOf(key);
  const config = await loadConfig(deps.dir);
  const value = checked === 'current_profile' ? config.currentProfile : selectedProfile(ctx, config)[checked];
  if (ctx.output.machine) return ctx.output.data(value ?? null);
  if (value !== undefined) ctx.io.stdout.write(`${value}\n`);
}

export async function configSet(ctx: CliContext, deps: AuthDeps, key: string, value: string): Promise<void> {
  const checked = keyOf(key);
  let described = '';
  await updateConfig(deps.dir, (config) => {
    if (checked === 'current_profile') {
      if (!config.profile(value)) throw new FailureError(`There is no profile named "${value}"; profiles: ${names(config)}.`);
      config.setCurrentProfile(value);
      described = `Current profile is now "${value}".`;
      return;
    }
    const name = profileName(ctx, config);
    const exists = !!config.profile(name);
    if (!exists && checked !== 'url') throw new FailureError(`There is no profile named "${name}"; create it with hsp config set url URL --profile ${name}, or hsp login.`);
    if (!exists && !PROFILE_NAME.test(name)) throw new UsageError(`"${name}" cannot be a profile name: ${PROFILE_NAME_RULE}.`);
    config.setProfile(name, { [checked]: valueOf(checked, value) });
    if (!config.currentProfile) config.setCurrentProfile(name);
    described = `Set ${checked} of profile "${name}"${value === '' ? ' back to its default' : ''}.`;
  });
  ctx.output.success(described);
}

export async function configList(ctx: CliContext, deps: AuthDeps): Promise<void> {
  const config = await loadConfig(deps.dir);
  const named = ctx.options.profile ?? (ctx.io.env.HSP_PROFILE || undefined);
  const name = named ?? config.currentProfile;
  const profile = name === undefined ? undefined : config.profile(name);
  if (named !== undefined && !profile) throw new FailureError(`There is no profile named "${name}"; profiles: ${names(config)}.`);
  const settings: Record<string, string | null> = { current_profile: config.currentProfile ?? null, profile: profile?.name ?? null };
  for (const key of SETTABLE_PROFILE_KEYS) settings[key] = profile?.[key] ?? null;
  if (ctx.output.machine) return ctx.output.data(settings);
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${value ?? ''}`);
  ctx.io.stdout.write(`${lines.join('\n')}\n`);
}

function keyOf(key: string): Key {
  if ((KEYS as readonly string[]).includes(key)) return key as Key;
  throw new UsageError(`Unknown setting "${key}": use ${KEYS.join(', ')}.`);
}

/** What to store; '' removes an optional setting (back to its default). */
function valueOf(key: SettableProfileKey, value: string): Profile[SettableProfileKey] | undefined {
  if (key === 'url') {
    if (!/^https?:\/\/[^\s/]+\S*$/.test(value)) throw new UsageError(`url must start with http:// or https://, got "${value}".`);
    return normalizeUrl(value);
  }
  if (value === '') return undefined;
  if (key === 'dialect' && !(DIALECTS as readonly string[]).includes(value)) throw new UsageError(`dialect must be ${DIALECTS.join(', ')}, got "${value}".`);
  return value as Profile[SettableProfileKey];
}

function profileName(ctx: CliContext, config: ConfigFile): string {
  const name = ctx.options.profile ?? (ctx.io.env.HSP_PROFILE || undefined) ?? config.currentProfile;
  if (name === undefined) throw new UsageError('No profile is selected: pass --profile NAME (hsp login creates profiles).');
  return name;
}

function selectedProfile(ctx: CliContext, config: ConfigFile): Profile {
  const name = profileName(ctx, config);
  const profile = config.profile(name);
  if (!profile) throw new FailureError(`There is no profile named "${name}"; profiles: ${names(config)}.`);
  return profile;
}

function names(config: ConfigFile): string {
  const all = config.profiles.map((p) => p.name);
  return all.length ? all.join(', ') : 'none yet (run hsp login)';
}
