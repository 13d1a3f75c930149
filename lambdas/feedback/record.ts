import type { Direction } from '../relay/transmission';

export type BounceType = 'Permanent' | 'Transient' | 'Undetermined';
type FeedbackKind = 'bounce' | 'complaint';

/**
 * What is kept about one bounce or complaint, in the transmissions table beside the deliveries.
 * Alias and store IDs, types and times only: never the bounced or complaining address, nor the
 * diagnostic text or feedback report, which quote it.
 */
export interface FeedbackRecord {
  /** `feedback/<sesMessageId>/<eventType>`: one record per outbound mail and event type. */
  readonly transmissionId: string;
  readonly sesMessageId: string;
  readonly kind: FeedbackKind;
  /**
   * The conversation's customer alias (the alias the relay's own record of the mail names when the
   * store wrote); the sending alias itself when its record is gone; absent when the mail was not
   * sent from an alias (a DSN from MAILER-DAEMON).
   */
  readonly aliasId?: string;
  readonly storeId?: string;
  /** Direction of the mail that bounced or was complained about. */
  readonly direction: Direction;
  readonly bounceType?: BounceType;
  readonly bounceSubType?: string;
  readonly complaintFeedbackType?: string;
  readonly complaintSubType?: string;
  /** Set when the bounce paused the customer alias. */
  readonly pausedUntil?: string;
  /** When SES reported the event; the by-alias index sorts by this attribute. */
  readonly receivedAt: string;
  readonly completedAt: string;
  /** Epoch seconds: event time plus the transmission-record retention. */
  readonly purgeAt: number;
}
