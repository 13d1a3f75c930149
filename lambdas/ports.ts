import type { FeedbackRecord } from './feedback/feedback';
import type { DeadLetterReason } from './relay/failures';
import type { TransmissionRecord } from './relay/transmission';

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

/**
 * Hands a message to the sending service. SES's SendEmail is not idempotent, so a mailer never
 * repeats a request that may have reached it: a failure after which the message may have been
 * accepted is thrown as a `MaybeSentError` (core/failures.ts), any other failure means it was not.
 */
export interface Mailer {
  send(message: OutboundMessage): Promise<{ messageId: string }>;
}

/** What DKIM verification of one raw message found. */
export interface DkimVerification {
  /** Signing domains (`d=`) of the signatures that verified, lower-cased. */
  readonly passingDomains: readonly string[];
  /** A key could not be fetched for the moment (DNS temperror): a later try may find it. */
  readonly temporaryFailure: boolean;
}

/** Verifies the DKIM signatures of a raw message (RFC 6376), looking keys up in DNS. */
export interface DkimVerifier {
  verify(raw: Buffer): Promise<DkimVerification>;
}

/**
 * Counts delivery status notifications per envelope sender and window, so a sender (or whoever
 * writes in its name) cannot make the relay mail one address without bound.
 */
export interface BounceBudget {
  /**
   * Takes one DSN from `key`'s allowance for the window ending at `windowEnd`; false, and nothing
   * taken, once `limit` were taken in that window.
   */
  take(key: string, windowEnd: Date, limit: number): Promise<boolean>;
}

/** Result of trying to take ownership of one delivery (one SES message, one recipient). */
export type ClaimResult =
  | { readonly status: 'claimed' }
  /** Someone already finished it: a duplicate notification. */
  | { readonly status: 'completed' }
  /** It failed permanently and went to the dead-letter queue; only a replay takes it again. */
  | { readonly status: 'dead_lettered' }
  /** Another invocation holds an unexpired lease on it. */
  | { readonly status: 'in_progress' };

export interface ClaimRequest {
  readonly transmissionId: string;
  readonly sesMessageId: string;
  readonly now: Date;
  /** Until then, no other invocation may take the delivery over. */
  readonly leaseUntil: Date;
  readonly purgeAt: number;
  /** A replay from the dead-letter queue: a dead-lettered delivery may be claimed again. */
  readonly retakeDeadLettered?: boolean;
}

/** Why a claimed delivery was given up on; names only, never an error's text. */
export interface DeliveryFailure {
  readonly reason: DeadLetterReason;
  readonly errorName: string;
  readonly at: Date;
}

/**
 * Transmission records, doubling as the exactly-once guard: a delivery is claimed before anything
 * is sent and completed after, so a duplicate notification finds it completed and sends nothing.
 */
export interface TransmissionLog {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  complete(record: TransmissionRecord): Promise<void>;
  /**
   * Gives a claimed delivery back after a transient failure that sent nothing, so the retry can
   * claim it at once. Never for a delivery SES may have accepted.
   */
  release(transmissionId: string): Promise<void>;
  /** Marks a claimed delivery as dead-lettered: redeliveries skip it, a replay takes it again. */
  markDeadLettered(transmissionId: string, failure: DeliveryFailure): Promise<void>;
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
  /**
   * The deliveries (`<sesMessageId>/<index>`) that failed, when the others of the message were
   * finished; absent when the whole notification failed.
   */
  readonly deliveries?: readonly string[];
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
