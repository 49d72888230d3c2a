/** Event-stream failures, in the SDK's error family. */
import { HspError } from '../sdk/errors.js';

/** The server refused a subscription (`reject_subscription`). */
export class SubscriptionRejectedError extends HspError {
  override name = 'SubscriptionRejectedError';
}

/** The server never answered a subscription; the reference server does this for unknown platforms. */
export class SubscriptionTimeoutError extends HspError {
  override name = 'SubscriptionTimeoutError';
}
