/**
 * Licence-aware deploys: before the agent deploys an instance, it asks the marketplace whether
 * the platform's owner may use the instance's product (api.md's dynamic Authorization, through
 * any entitlement), and does not deploy on a "no".
 *
 * Asked only before a deploy, never for an instance that runs unchanged: a "yes" spends one use
 * of a counted licence. A marketplace without the route (the reference server, an older hsp)
 * checks no licences, and the agent deploys as it always did; any other failure to get an
 * answer is no answer, and the deploy waits for the retry.
 *
 * A "yes" for an unlimited licence (`uses_left: null`) that does not expire soon is reused for
 * the same product for a few seconds (REUSE_MS), so a burst of deploys of one product asks once,
 * not once per instance: such an answer spends nothing, and the marketplace would give the same
 * one again. The cost is that a revoked entitlement may still let deploys of that product through
 * for those few seconds. A counted licence is asked every time (each "yes" spends a use), and a
 * "no" is never reused (a voucher redeemed a moment later must count at the next retry).
 *
 * An operator may turn the checks off (`enabled: false`: `hsp agent listen --no-licence-check`),
 * for a marketplace whose authorization endpoint exists but is broken (the reference server's
 * answers 500 for real ids, and fail-closed would then never deploy anything): the agent says so
 * once when it starts, and deploys without asking.
 */
import { NotFoundError, type Marketplace } from '../index.js';
import type { AgentLog } from './orchestrator.js';

export type LicenceVerdict =
  /** `checked: false`: the marketplace has no authorization route, or the checks are off. */
  | { authorized: true; checked: boolean }
  /** One sentence about the instance: why it may not run. */
  | { authorized: false; reason: string };

/** How long an unlimited, not soon expiring "yes" stands for further deploys of the same product. */
export const REUSE_MS = 10_000;

/** An answer that may stand in for the next asks about its product until `until` (Date.now()). */
interface Reusable {
  until: number;
  entitlement: string | null;
}

/** Logged once at start when the operator turned the checks off. */
export const CHECKS_OFF = "Licence checks are turned off, so the agent deploys without asking the marketplace whether the platform's owner may use each product.";

export class LicenceCheck {
  private unsupportedLogged = false;
  /** Reusable answers by product id. */
  private readonly reusable = new Map<string, Reusable>();
  /** The ask in flight per product: others wait for it, in case its answer may be reused. */
  private readonly asking = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: Marketplace,
    /** The platform owner: the user whose entitlements count. */
    private readonly ownerId: string,
    private readonly log: AgentLog,
    /** `false`: the operator turned the checks off; every deploy goes ahead unasked. */
    private readonly enabled = true,
  ) {}

  /** At the agent's start: says once that licences go unchecked, when they do. */
  announce(): void {
    if (!this.enabled) this.log('licence.unchecked', { level: 'warn', reason: CHECKS_OFF });
  }

  async check(instanceId: string, productId: string, signal?: AbortSignal): Promise<LicenceVerdict> {
    if (!this.enabled) return { authorized: true, checked: false };
    const key = productId.toLowerCase();
    // Deploys of one product side by side: the first asks; the others see whether its answer may stand.
    const inFlight = this.asking.get(key);
    if (inFlight) await inFlight.catch(() => {});
    const reused = this.reusable.get(key);
    if (reused && reused.until > Date.now()) {
      this.log('licence.reused', { level: 'debug', instance: instanceId, product: productId, entitlement: reused.entitlement });
      return { authorized: true, checked: true };
    }
    this.reusable.delete(key);
    const asked = this.client.authorizations.user(this.ownerId, productId, { signal });
    this.asking.set(key, asked);
    let answer;
    try {
      answer = await asked;
    } catch (error) {
      if (!(error instanceof NotFoundError) || !isMissingRoute(error.body)) throw error;
      // Asked again at the next deploy, so a marketplace upgraded meanwhile starts checking.
      if (!this.unsupportedLogged) {
        this.unsupportedLogged = true;
        this.log('licence.unchecked', { reason: 'The marketplace has no authorization endpoint, so the agent deploys without licence checks.' });
      }
      return { authorized: true, checked: false };
    } finally {
      if (this.asking.get(key) === asked) this.asking.delete(key);
    }
    if (answer.authorized === true) {
      const until = reusableUntil(answer);
      if (until !== undefined) this.reusable.set(key, { until, entitlement: answer.entitlement_id ?? null });
      this.log('licence.granted', { instance: instanceId, product: productId, entitlement: answer.entitlement_id ?? null, uses_left: answer.uses_left ?? null });
      return { authorized: true, checked: true };
    }
    const why = typeof answer.reason === 'string' && answer.reason.trim() !== '' ? sentenceTail(answer.reason) : 'the marketplace gave no reason';
    return { authorized: false, reason: `Instance ${instanceId}: the platform's owner may not use product ${productId}: ${why}.` };
  }
}

/**
 * Until when (Date.now()) a "yes" may stand for the next deploys of its product: only an
 * unlimited licence's (a counted one spends a use per answer), and never past the entitlement's
 * end. Undefined: ask every time.
 */
export function reusableUntil(answer: { authorized?: unknown; uses_left?: unknown; expires_at?: unknown }, now = Date.now()): number | undefined {
  if (answer.authorized !== true || answer.uses_left !== null) return undefined;
  const until = now + REUSE_MS;
  if (answer.expires_at === null || answer.expires_at === undefined) return until;
  const expires = typeof answer.expires_at === 'string' ? Date.parse(answer.expires_at) : NaN;
  return Number.isFinite(expires) && expires > until ? until : undefined;
}

/**
 * A 404 for the route itself, not for a user or product it names: the reference server's Rails
 * answer has no message (`{"status":404,"error":"Not Found"}`) and `hsp serve` says "No route
 * for …"; a 404 about an unknown user or product says which, in a sentence. `body` is the
 * NotFoundError's.
 */
export function isMissingRoute(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return true;
  const message = (body as Record<string, unknown>).message;
  return typeof message !== 'string' || message.startsWith('No route for ');
}

/** A server's sentence placed after a colon: first letter lowered unless it is a name, no final period, one line, short. */
function sentenceTail(reason: string): string {
  const line = reason.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  const clipped = line.length > 300 ? `${line.slice(0, 300)}…` : line;
  return /^[A-Z][a-z]/.test(clipped) ? clipped.charAt(0).toLowerCase() + clipped.slice(1) : clipped;
}
