import { createHash } from 'node:crypto';

/**
 * `Idempotency-Key` for `POST /aliases`. Issuing an alias is itself idempotent (the same store and
 * order always give the same alias), so a repeat is answered by issuing again; what the key adds is
 * that a repeat with another body is refused rather than answered as if it were the first. Only a
 * fingerprint of the request is kept, never its answer: Powertools' idempotency utility stores the
 * response, which would put the alias name in a record that destruction does not reach.
 */

export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
}

export interface IdempotencyKeys {
  /**
   * Takes `key` for `fingerprint` until `expiresAt`, before anything is done: answers the status
   * the first request was answered with when the key was taken with the same fingerprint before
   * (undefined while that request is still running, or for the first), and throws
   * {@link IdempotencyKeyReusedError} when it was taken with another, so nothing is done for it.
   */
  take(key: string, fingerprint: string, expiresAt: Date): Promise<{ readonly firstStatus?: number }>;
  /** Records the status the first request was answered with. */
  answered(key: string, status: number): Promise<void>;
}

/** How long a key is remembered. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

/** The key as stored: a hash, so a caller's key (which could be anything) is never kept as given. */
export function idempotencyItemKey(key: string): string {
  return `idempotency#${createHash('sha256').update(`idempotency:v1:${key}`).digest('hex')}`;
}

/** A fingerprint of what the request asks, with the customer named by the keyed hash of the address only. */
export function aliasRequestFingerprint(storeId: string, orderId: string, customerHash: string): string {
  return createHash('sha256').update(JSON.stringify([storeId, orderId, customerHash])).digest('hex');
}
