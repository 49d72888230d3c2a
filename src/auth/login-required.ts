/**
 * The stored sign-in cannot be used or renewed any more: the user must sign in again. Kept in a
 * file of its own so that the CLI can tell it apart (exit code 4) without loading the token
 * provider and OpenID Connect at every start.
 */
import { HspError } from '../sdk/errors.js';

export class LoginRequiredError extends HspError {
  override name = 'LoginRequiredError';
}
