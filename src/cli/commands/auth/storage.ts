/**
 * Saving a new credential: in the OS keychain when there is one; otherwise in plain text, but
 * only with `--insecure-storage` or after the user said yes to a question asked BEFORE
 * anything is written (gh writes first and warns after, which its users dislike). Without a
 * terminal and without the flag, nothing is written and the command fails naming the flag.
 */
import { PlaintextRefusedError } from '../../../auth/credentials.js';
import type { Credential, CredentialLocation } from '../../../auth/types.js';
import type { CliContext } from '../../context.js';
import type { AuthDeps } from './deps.js';

export async function saveCredential(ctx: CliContext, deps: AuthDeps, profile: string, credential: Credential, insecureStorage: boolean): Promise<CredentialLocation> {
  try {
    return await deps.store.set(profile, credential, { allowFile: insecureStorage });
  } catch (error) {
    if (!(error instanceof PlaintextRefusedError)) throw error;
    if (!ctx.interactive) {
      throw new Error(`The token cannot be stored securely because ${error.reason}; pass --insecure-storage to keep it in plain text in ${error.file} (readable only by you), or use HSP_TOKEN instead.`, { cause: error });
    }
    const agreed = await deps.prompts.confirm(`The token cannot be stored securely because ${error.reason}. Store it in plain text in ${error.file} (readable only by you)?`);
    if (!agreed) throw new Error('The token was not stored, so you are not signed in; use HSP_TOKEN, or --insecure-storage, to sign in without a keychain.', { cause: error });
    return deps.store.set(profile, credential, { allowFile: true });
  }
}

export function describeLocation(location: CredentialLocation, file: string): string {
  switch (location) {
    case 'keychain':
      return 'the OS keychain';
    case 'file':
      return `${file} (plain text)`;
    case 'environment':
      return 'HSP_TOKEN (environment)';
  }
}
