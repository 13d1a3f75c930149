import type { FeedbackRecord } from './feedback';
import type { DeadLetterReason } from './failures';
import type { TransmissionRecord } from './transmission';

/**
 * Ports the relay's domain logic talks through. Adapters in `lambdas/adapters/` implement them with
 * the AWS SDK; tests and the local stack plug in the same adapters against local servers.
 */

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
  readonly createdAt: string;
  /** After this instant the alias no longer relays. */
  readonly expiresAt: string;
  /** Epoch seconds after which the item must be gone (expiry plus the support period). */
  readonly purgeAt: number;
  /** Until this instant (ISO 8601) mail to the alias is refused: its real address hard-bounced. */
  readonly pausedUntil?: string;
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
}

export interface RegisteredSender {
  readonly storeId: string;
  readonly addressHash: string;
  readonly addressCipher: Uint8Array;
  readonly createdAt: string;
}

export interface AliasStore {
  getAlias(alias: string): Promise<AliasRecord | undefined>;
  /** Writes the alias unless one with that name exists; returns whichever record is stored afterwards. */
  putAliasIfAbsent(record: AliasRecord): Promise<{ readonly record: AliasRecord; readonly created: boolean }>;
}

/** Outcome of pausing an alias: `missing` when no such alias exists (it is never created by a pause). */
export type PauseResult = 'paused' | 'already_paused' | 'missing';

/** The one write the bounce feedback makes to aliases; kept apart so the relay never needs it. */
export interface AliasPauser {
  /** Sets `pausedUntil`, never shortening a longer pause already in place. */
  pauseAlias(alias: string, until: Date): Promise<PauseResult>;
}

export interface StoreDirectory {
  getStore(storeId: string): Promise<StoreRecord | undefined>;
  putStore(record: StoreRecord): Promise<void>;
  putSender(sender: RegisteredSender): Promise<void>;
  isRegisteredSender(storeId: string, addressHash: string): Promise<boolean>;
}

/** Encryption context binds a ciphertext to the record it belongs to; decrypting elsewhere fails. */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface KeyService {
  encrypt(plaintext: string, context: EncryptionContext): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<string>;
  /** Keyed hash (HMAC-SHA-256, hex) computed inside the key service; the key never reaches us. */
  mac(message: string): Promise<string>;
}

export interface RawMailSource {
  /** The raw message exactly as SES stored it. */
  read(location: { bucket: string; key: string }): Promise<Buffer>;
}

export interface OutboundMessage {
  /** Envelope sender (an alias on the relay domain). */
  readonly from: string;
  /** Envelope recipients (real addresses). */
  readonly to: readonly string[];
  readonly raw: Uint8Array;
}

export interface Mailer {
  send(message: OutboundMessage): Promise<{ messageId: string }>;
}

/** Result of trying to take ownership of one delivery (one SES message, one recipient). */
export type ClaimResult =
  | { readonly status: 'claimed' }
  /** Someone already finished it: a duplicate notification. */
  | { readonly status: 'completed' }
  /** Another invocation holds an unexpired lease on it. */
  | { readonly status: 'in_progress' };

export interface ClaimRequest {
  readonly transmissionId: string;
  readonly sesMessageId: string;
  readonly now: Date;
  /** Until then, no other invocation may take the delivery over. */
  readonly leaseUntil: Date;
  readonly purgeAt: number;
}

/**
 * Transmission records, doubling as the exactly-once guard: a delivery is claimed before anything
 * is sent and completed after, so a duplicate notification finds it completed and sends nothing.
 */
export interface TransmissionLog {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  complete(record: TransmissionRecord): Promise<void>;
  /** Gives a claimed delivery back after a transient failure, so the retry can claim it at once. */
  release(transmissionId: string): Promise<void>;
}

/** Bounce and complaint records, in the transmissions table. */
export interface FeedbackLog {
  /** Writes the record unless one with its ID exists; `duplicate` for a redelivered event. */
  recordFeedback(record: FeedbackRecord): Promise<'recorded' | 'duplicate'>;
}

/** A notification the relay gives up on, with why; it carries no address beyond the original body. */
export interface DeadLetter {
  /** The queue message body exactly as received, so replaying it is replaying the notification. */
  readonly body: string;
  readonly reason: DeadLetterReason;
  /** Name or code of the error; never its message, which may quote an address. */
  readonly errorName: string;
  /** Absent when the body could not be read as a notification. */
  readonly sesMessageId?: string;
  /** ID of the queue message the body came in. */
  readonly queueMessageId: string;
}

/** Where permanently failed notifications go at once, instead of being retried to no avail. */
export interface DeadLetterQueue {
  send(letter: DeadLetter): Promise<void>;
}

/** Delays the next receive of a failed queue message (backoff). */
export interface RetryScheduler {
  retryAfter(receiptHandle: string, delaySeconds: number): Promise<void>;
}

/**
 * Raw inbound mail in S3 (data class "content"), object by object and version by version. Objects
 * are keyed `inbound/<SES message ID>`; with versioning on, a deletion must remove every version
 * and delete marker, or a copy survives.
 */
export interface RawMailArchive {
  /** Permanently deletes every version and delete marker of these messages' raw mail; returns how many. */
  eraseMessages(sesMessageIds: readonly string[]): Promise<number>;
  /** Versions and delete markers still stored for these messages: 0 after a complete erasure. */
  countMessageVersions(sesMessageIds: readonly string[]): Promise<number>;
  /**
   * One bounded page of the retention sweep over `inbound/`: permanently deletes every version and
   * delete marker last modified at or before `cutoff`. Pass the returned cursor to go on; none is
   * returned once the listing is exhausted.
   */
  sweepOlderThan(cutoff: Date, page: { readonly cursor?: string; readonly maxKeys: number }): Promise<{ readonly removed: number; readonly cursor?: string }>;
}
