import type { DeadLetterReason } from './failures';
import type { RefusalReason } from './screening';
import type { Verdicts } from './verdicts';

export type Direction = 'merchant_to_customer' | 'customer_to_merchant' | 'unknown';
type Outcome = 'relayed' | 'refused';

/**
 * What is kept about one delivery attempt (data class "transmission record"): existence, direction,
 * size, verdicts and the connecting IP. Never a real address, a subject or message text.
 */
export interface TransmissionRecord {
  readonly transmissionId: string;
  readonly sesMessageId: string;
  /** The recipient alias, or `invalid` when the recipient was not alias-shaped (never the raw string). */
  readonly aliasId: string;
  readonly storeId?: string;
  readonly direction: Direction;
  readonly sizeBytes: number;
  readonly verdicts: Verdicts;
  readonly connectingIp?: string;
  readonly outcome: Outcome;
  readonly reason?: RefusalReason;
  readonly outboundMessageId?: string;
  /**
   * The relayed message's own Message-ID as its author wrote it (only one naming no party's address),
   * given back to that author when the other party answers the relayed copy (`outboundMessageId`).
   */
  readonly originalMessageId?: string;
  /** A delivery status notification went back to the (authenticated) sender of a refused message. */
  readonly bounced?: boolean;
  readonly receivedAt: string;
  readonly completedAt: string;
  /** Epoch seconds: received time plus the transmission-record retention. */
  readonly purgeAt: number;
}

/**
 * `state` of a delivery's item in the transmissions table, the exactly-once claim's life: claimed
 * (`processing`, with a lease), given back after a failure that sent nothing (`released`), finished
 * with its record (`done`), or given up on to the dead-letter queue (`dead_lettered`).
 */
export const DELIVERY_STATE = { processing: 'processing', released: 'released', done: 'done', deadLettered: 'dead_lettered' } as const;

export function transmissionId(sesMessageId: string, recipientIndex: number): string {
  return `${sesMessageId}/${recipientIndex}`;
}

export function purgeAtEpochSeconds(from: Date, retentionDays: number): number {
  return Math.floor(from.getTime() / 1000) + retentionDays * 86_400;
}

const BRACKETED_IP = /\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]/;

/**
 * The connecting client's IP ("place of transmission") from the Received field SES prepends:
 * `from host (host [203.0.113.5]) by inbound-smtp.ap-northeast-1.amazonaws.com with SMTP id …`.
 * Only the text before ` by ` is looked at, so an address-literal later in the field cannot be taken.
 */
export function connectingIpFromReceived(received: string | undefined): string | undefined {
  if (!received) return undefined;
  const fromClause = received.split(/\sby\s/i, 1)[0] ?? '';
  return BRACKETED_IP.exec(fromClause)?.[1];
}

/** What the relay knows of a message it relayed, found by the ID SES gave the relayed copy. */
export interface RelayedMessage {
  /** The recipient alias of the relayed message: a customer alias, or a store's reverse alias. */
  readonly aliasId: string;
  readonly direction: Direction;
  readonly originalMessageId: string;
}

/** Relayed messages by the SendEmail message IDs of their copies, for threading replies. */
export interface RelayedMessages {
  /** Those of the IDs the relay relayed and kept an original Message-ID for. */
  byOutboundId(outboundIds: readonly string[]): Promise<ReadonlyMap<string, RelayedMessage>>;
  /**
   * The SendEmail IDs of the copies of messages relayed to `aliasId` whose authors wrote these
   * Message-IDs, by Message-ID: a conversation's own messages only, as the alias scopes them.
   */
  outboundIdsOf(aliasId: string, originalMessageIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
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
