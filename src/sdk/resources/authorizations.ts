import { ValidationError } from '../errors.js';
import { APIResource, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Authorization } from '../types/authorizations.js';

/**
 * `/authorizations`: may a user or group use a product now, through any entitlement (the
 * licence's dates and uses, claims, product families)? A "no" is an answer, not a failure: it
 * resolves to an Authorization with `authorized: false` and the reason. Anything else (an
 * unknown product, a caller who may not ask) throws as usual.
 *
 * Each call counts one use of the granting claim, so it is never retried by the client: a
 * retry after a lost answer could spend a second use.
 */
export class Authorizations extends APIResource {
  /** `PUT /authorizations/users/:user_id/products/:product_id` */
  async user(userId: string, productId: string, options?: RequestOptions): Promise<Authorization> {
    return this.ask(`/authorizations/users/${uuid('userId', userId)}/products/${uuid('productId', productId)}`, options);
  }

  /** `PUT /authorizations/groups/:group_id/products/:product_id` */
  async group(groupId: string, productId: string, options?: RequestOptions): Promise<Authorization> {
    return this.ask(`/authorizations/groups/${uuid('groupId', groupId)}/products/${uuid('productId', productId)}`, options);
  }

  /** `PUT /authorizations/products/:product_id`: the signed-in caller, as a user. */
  async mine(productId: string, options?: RequestOptions): Promise<Authorization> {
    return this.ask(`/authorizations/products/${uuid('productId', productId)}`, options);
  }

  private async ask(path: string, options: RequestOptions | undefined): Promise<Authorization> {
    try {
      return await this._action<Authorization>('PUT', path, options, { idempotent: false });
    } catch (error) {
      const refusal = error instanceof ValidationError ? refusalIn(error.body) : undefined;
      if (refusal) return refusal;
      throw error;
    }
  }
}

/** The 422 body of a "no": `{message, ...Authorization}`; anything else is a real error. */
function refusalIn(body: unknown): Authorization | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { message: _message, ...rest } = body as Record<string, unknown>;
  if (rest.authorized !== false || typeof rest.reason !== 'string') return undefined;
  return rest as unknown as Authorization;
}
