/**
 * A registry (or the credentials for it) could not answer what was asked. The message is one
 * sentence naming the registry; it never carries a credential, a token or a header value.
 */

export type RegistryProblem =
  /** No connection: DNS, refused, TLS, reset. */
  | 'unreachable'
  /** No answer within the time allowed. */
  | 'timeout'
  /** 401/403: anonymous access refused, or the credentials were. */
  | 'refused'
  /** The registry has no such repository or tag. */
  | 'not-found'
  /** An answer that breaks the distribution API (a bad digest, an unknown manifest type, too large). */
  | 'bad-answer'
  /** The Docker config or a credential helper failed. */
  | 'credentials';

export class RegistryError extends Error {
  override name = 'RegistryError';

  constructor(
    readonly registry: string,
    readonly problem: RegistryProblem,
    message: string,
  ) {
    super(message);
  }
}
