/** Ports of the aliases context: the aliases and stores tables as the domain sees them. */

export type AliasKind = 'customer' | 'merchant';

/** A `c-…` alias (customer side of an order) or an `m-…` reverse alias (the store, for one customer). */
export interface AliasRecord {
  readonly alias: string;
  readonly kind: AliasKind;
  readonly storeId: string;
  /** Order the customer alias was issued for (customer aliases only). */
  readonly orderId?: string;
  /** KMS ciphertext of the customer's real address (customer aliases only). */
  readonly addressCipher?: Uint8Array;
  /** Keyed hash of the customer's real address: the owner of a `c-` alias, the only allowed writer to an `m-` alias. */
  readonly addressHash: string;
  /** For a reverse alias: the customer alias it answers for. */
  readonly customerAlias?: string;
  /**
   * For a customer alias: the store's reverse alias for it, written with it, so relaying needs
   * neither to derive its name nor to look for it. Absent on aliases issued before it was kept.
   */
  readonly reverseAlias?: string;
  /**
   * For a customer alias: its List-Unsubscribe token (`unsubscribeToken`), made when it was issued
   * so relaying needs no key operation for it. Absent on aliases issued before it was kept.
   */
  readonly unsubscribeToken?: string;
  readonly createdAt: string;
  /** After this instant the alias no longer relays. */
  readonly expiresAt: string;
  /** Epoch seconds after which the item must be gone (expiry plus the support period). */
  readonly purgeAt: number;
  /** Until this instant (ISO 8601) mail to the alias is refused: its real address hard-bounced. */
  readonly pausedUntil?: string;
  /** Set when the marketplace disabled the alias: it relays nothing from then on, and is kept for its retention. */
  readonly disabledAt?: string;
  /** Set while the customer has blocked the store's mail to this alias (List-Unsubscribe); they can undo it. */
  readonly blockedAt?: string;
}

/** A customer blocking, or unblocking, their store's mail to one customer alias. */
export interface AliasBlocking {
  /** Blocks (an instant) or unblocks (undefined); false when there is no such customer alias. */
  setBlocked(alias: string, at: string | undefined): Promise<boolean>;
}

export interface StoreRecord {
  readonly storeId: string;
  /** Shown as the sender's name when the store's own mail carries none. */
  readonly displayName: string;
  /** KMS ciphertext of the store's contact address, where customers' replies go. */
  readonly contactCipher: Uint8Array;
  readonly contactHash: string;
  readonly createdAt: string;
  /** Set when the store was terminated: it relays nothing from then on. */
  readonly terminatedAt?: string;
  /** Epoch seconds after which the store must be gone: termination plus the support period. */
  readonly purgeAt?: number;
  /** The store's own rate limits over the configured defaults (`anshin store limits`). */
  readonly limits?: { readonly perMinute?: number; readonly perDay?: number };
  /** Set when the store was paused (abuse signals or an operator): nothing of its mail is relayed until lifted. */
  readonly pausedAt?: string;
  /** Why: the signal that crossed its threshold, or `operator`. */
  readonly pauseReason?: string;
}

export interface RegisteredSender {
  readonly storeId: string;
  /** The sender's name in the marketplace API (`snd_…`), random; absent on senders registered before IDs existed. */
  readonly senderId?: string;
  readonly addressHash: string;
  readonly addressCipher: Uint8Array;
  readonly createdAt: string;
  /**
   * `verified`: mail from it is relayed. `pending`: registered but not yet shown to be the store's
   * (it is refused as an unregistered sender until then). Absent on senders registered before
   * verification existed, which the marketplace or an operator registered: verified.
   */
  readonly status?: SenderStatus;
  /** Who vouched for the address: the marketplace (API or operator), or the address itself by a verification link. */
  readonly verifiedBy?: 'marketplace' | 'link';
}

type SenderStatus = 'verified' | 'pending';

export interface AliasStore {
  getAlias(alias: string): Promise<AliasRecord | undefined>;
  /**
   * Writes the alias unless one with that name exists; returns whichever record is stored
   * afterwards. A customer alias naming its `reverseAlias` is written together with that reverse
   * alias ({@link reverseAliasRecord}), all or nothing.
   */
  putAliasIfAbsent(record: AliasRecord): Promise<{ readonly record: AliasRecord; readonly created: boolean }>;
}

/** Outcome of disabling an alias; an alias is never created by it. */
export type DisableResult = 'disabled' | 'already_disabled' | 'missing';

/** One page of a listing; `cursor`, when present, fetches the next. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}

/** Where a listing starts (a previous page's cursor) and how many items it answers at most. */
export interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/** What the marketplace API does to aliases beyond issuing them. */
export interface AliasAdministration {
  /** The store's customer aliases, the latest to expire (the newest issued) first. */
  listCustomerAliases(storeId: string, page: PageRequest): Promise<Page<AliasRecord>>;
  /** Sets `disabledAt` and brings `expiresAt` forward to `at`, so the alias stops relaying and is no longer live. */
  disableAlias(alias: string, at: Date): Promise<DisableResult>;
  /** Customer aliases of the store that have not expired (nor been disabled) at `now`. */
  countLiveCustomerAliases(storeId: string, now: Date): Promise<number>;
}

/** A store with every sender registered for it, as one read returns them. */
export interface StoreProfile {
  /** Absent when only sender items are left (the store item was erased) or nothing is. */
  readonly store?: StoreRecord;
  readonly senders: readonly RegisteredSender[];
}

export interface StoreDirectory {
  getStore(storeId: string): Promise<StoreRecord | undefined>;
  /** The store and all its registered senders in one read. */
  getStoreProfile(storeId: string): Promise<StoreProfile>;
  putStore(record: StoreRecord): Promise<void>;
  putSender(sender: RegisteredSender): Promise<void>;
  removeSender(storeId: string, addressHash: string): Promise<void>;
}

/** The stores as the marketplace lists them. */
export interface StoreListing {
  /** Every store, terminated ones included until erased, in store-ID order. */
  listStores(page: PageRequest): Promise<Page<StoreRecord>>;
}

/** What an operator or the marketplace sets on a store against abuse: its own rate limits, a pause. */
export interface StoreControls {
  /** Replaces the store's own rate limits (empty: the defaults again); false when there is no such store. */
  setLimits(storeId: string, limits: NonNullable<StoreRecord['limits']>): Promise<boolean>;
  /** Pauses the store, or (undefined) lifts its pause; false when there is no such store. */
  setPause(storeId: string, pause: { readonly at: string; readonly reason: string } | undefined): Promise<boolean>;
}

/** Verifying a sender the store added itself, once the link mailed to it is opened. */
export interface SenderVerifications {
  /** Marks a registered sender verified by a link; false when there is no such sender. */
  markSenderVerified(storeId: string, addressHash: string, at: Date): Promise<boolean>;
}
