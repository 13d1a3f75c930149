import type { AliasRecord, RegisteredSender, StoreRecord } from './ports';

/** Where an alias or a store stands in time: live, paused, expired, purged, terminated. */

/** True while a pause set after a hard bounce is still running. */
export function isPaused(alias: Pick<AliasRecord, 'pausedUntil'>, now: Date): boolean {
  if (alias.pausedUntil === undefined) return false;
  const until = Date.parse(alias.pausedUntil);
  return Number.isFinite(until) && until > now.getTime();
}

/** True once an alias stops relaying; it may still be kept for its support period. */
export function isExpired(alias: Pick<AliasRecord, 'expiresAt' | 'purgeAt'>, now: Date): boolean {
  return Date.parse(alias.expiresAt) <= now.getTime() || isPurged(alias, now);
}

/**
 * True once an item's retention ended. DynamoDB TTL deletes such items only eventually (often days
 * later), and the retention run once a day, so every read treats a purged item as already gone.
 */
export function isPurged(item: { readonly purgeAt?: number }, now: Date): boolean {
  return item.purgeAt !== undefined && item.purgeAt * 1000 <= now.getTime();
}

/** A terminated store relays nothing, though its data is kept for the support period. */
export function isStoreGone(store: Pick<StoreRecord, 'terminatedAt' | 'purgeAt'>, now: Date): boolean {
  return store.terminatedAt !== undefined || isPurged(store, now);
}

/** Only a verified sender may write to the store's customers. */
export function isVerifiedSender(sender: Pick<RegisteredSender, 'status'>): boolean {
  return sender.status !== 'pending';
}
