/**
 * Who is signed in, in this tab only: the token lives in sessionStorage (never in a URL once
 * sign-in completes, never in localStorage where every tab and extension-less script of the
 * origin would keep it for good).
 */
import { computed, signal } from '@preact/signals';
import { APIError } from '../sdk/errors.js';
import type { Permissions } from '../sdk/types/roles.js';
import type { WhoAmI } from '../sdk/types/session.js';
import type { User } from '../sdk/types/users.js';
import { api } from './api.js';
import { basePath, here, navigate } from './router.js';

const TOKEN_KEY = 'hsp.token';
const SIGN_IN_KEY = 'hsp.sign-in';

export interface Session {
  token?: string;
  user?: User;
  permissions: Permissions;
}

const state = signal<Session>({ permissions: {} });
export const session = computed(() => state.value);
export const signedIn = computed(() => Boolean(state.value.token && state.value.user));

/** The token for API calls; read by the SDK before every request. */
export function currentToken(): string | undefined {
  return state.value.token;
}

/** Mirrors the server's rule: `everything.manage`, or the role permission itself. */
export function can(noun: string, verb: string): boolean {
  const permissions = state.value.permissions;
  return permissions.everything?.manage === true || permissions[noun]?.[verb] === true;
}

/** Anonymous: go to sign-in, coming back here afterwards. */
export function requireSignIn(): boolean {
  if (signedIn.value) return true;
  navigate(`sign-in?next=${encodeURIComponent(here())}`, { replace: true });
  return false;
}

/** Checks a token with the marketplace and keeps it for this tab; throws a sentence when refused. */
export async function signInWithToken(token: string): Promise<void> {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  if (!trimmed) throw new Error('Paste a token first.');
  if (/\s/.test(trimmed)) throw new Error('A token is one line without spaces; check what you pasted.');
  // Checked before it becomes the session's: a refused token leaves the current session alone.
  let who: WhoAmI | null;
  try {
    who = await api().session.whoami({ headers: { authorization: `Bearer ${trimmed}` } });
  } catch (error) {
    if (error instanceof APIError && error.status === 401) who = null;
    else throw error;
  }
  if (!who) throw new Error('The marketplace did not accept this token: it may have expired or been revoked.');
  state.value = { token: trimmed, user: who.user, permissions: who.permissions };
  sessionStorage.setItem(TOKEN_KEY, trimmed);
}

/** At boot: the tab's token, checked again (it may have expired while the tab slept). */
export async function restoreSession(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  try {
    await signInWithToken(token);
  } catch {
    // Expired or revoked: anonymous now; pages that need a user send the person to sign-in.
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

/** Revokes the token on the marketplace (hsp serve does; others only forget it) and forgets it here. */
export async function signOut(): Promise<void> {
  try {
    if (state.value.token) await api().session.logout({ maxRetries: 0 });
  } catch {
    // Signed out here regardless: a token the server already refused needs no revoking.
  }
  forget();
  navigate('', { replace: false });
}

/** The token stopped working: back to sign-in, keeping the page to return to. */
export function sessionEnded(): void {
  if (!state.value.token) return;
  forget();
  navigate(`sign-in?next=${encodeURIComponent(here())}&expired=1`, { replace: true });
}

function forget(): void {
  state.value = { permissions: {} };
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Starts a sign-in at an identity provider through the marketplace, which sends the browser
 * back to `auth/callback` with the token in the fragment. The random `ui_state` ties that
 * answer to this tab's request, so a link crafted elsewhere cannot sign anyone in.
 */
export function startProviderSignIn(marketplaceUrl: string, providerId: string, next: string): void {
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify({ nonce, next }));
  const back = new URL(`${basePath}auth/callback`, window.location.origin);
  back.searchParams.set('ui_state', nonce);
  const start = new URL(`${marketplaceUrl}/identity_providers/${encodeURIComponent(providerId)}/redirect`);
  start.searchParams.set('redirect_uri', back.href);
  window.location.assign(start.href);
}

/** On `auth/callback`: takes the token out of the address bar at once, then signs in with it. */
export async function completeProviderSignIn(): Promise<{ next: string }> {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get('jwt') ?? '';
  const nonce = new URLSearchParams(window.location.search).get('ui_state');
  const saved = sessionStorage.getItem(SIGN_IN_KEY);
  sessionStorage.removeItem(SIGN_IN_KEY);
  history.replaceState(null, '', `${basePath}auth/callback`);
  let expected: { nonce?: string; next?: string } = {};
  try {
    expected = saved ? (JSON.parse(saved) as typeof expected) : {};
  } catch {
    // A damaged entry is treated as none.
  }
  if (!token) throw new Error('The identity provider did not send a token back. Please try again.');
  if (!nonce || nonce !== expected.nonce) {
    throw new Error('This sign-in was not started from this tab, so it was ignored. Please sign in again.');
  }
  await signInWithToken(token);
  return { next: typeof expected.next === 'string' ? expected.next : '' };
}
