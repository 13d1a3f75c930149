import type { DeadLetterReason } from './failures';

/** Ports of the relay: raw mail in, mail out, DKIM, the DSN budget and the queues around it. */

export interface RawMailSource {
  /** The raw message exactly as SES stored it. */
  read(location: { bucket: string; key: string }): Promise<Buffer>;
}

export interface OutboundMessage {
  /** Envelope sender (an alias on the relay domain). */
  readonly from: string;
  /** Envelope recipients (real addresses). */
  readonly to: readonly string[];
  /**
   * The message's bytes: these parts one after another, never joined. A relayed message is its
   * rewritten header block and its body as S3 returned it, so a large message is not held twice.
   */
  readonly parts: readonly Uint8Array[];
}

/** The message's bytes as one buffer, for a mailer that needs them so (a copy, or the part itself). */
export function messageBytes(message: OutboundMessage): Buffer {
  const [only] = message.parts;
  if (message.parts.length === 1 && only) return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  return Buffer.concat(message.parts);
}

/**
 * Hands a message to the sending service. SES's SendEmail is not idempotent, so a mailer never
 * repeats a request that may have reached it: a failure after which the message may have been
 * accepted is thrown as a `MaybeSentError` (failures.ts), any other failure means it was not.
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

/**
 * Puts a notification back on the relay's queue, to be delivered again after a delay: mail held
 * back by a rate limit or a store's pause. A new message, so the hold does not count towards the
 * queue's redrive limit as a failed receive would.
 */
export interface HoldQueue {
  holdFor(notification: { readonly body: string; readonly replay: boolean }, delaySeconds: number): Promise<void>;
}

/** Delays the next receive of a failed queue message (backoff). */
export interface RetryScheduler {
  retryAfter(receiptHandle: string, delaySeconds: number): Promise<void>;
}
