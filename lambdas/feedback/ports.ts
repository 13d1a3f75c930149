import type { FeedbackRecord } from './record';

/** Ports of the feedback function: bounce and complaint records, and pausing an alias. */

/** Outcome of pausing an alias: `missing` when no such alias exists (it is never created by a pause). */
export type PauseResult = 'paused' | 'already_paused' | 'missing';

/** The one write the bounce feedback makes to aliases; kept apart so the relay never needs it. */
export interface AliasPauser {
  /** Sets `pausedUntil`, never shortening a longer pause already in place. */
  pauseAlias(alias: string, until: Date): Promise<PauseResult>;
}

/** Bounce and complaint records, in the transmissions table. */
export interface FeedbackLog {
  /** Writes the record unless one with its ID exists; `duplicate` for a redelivered event. */
  recordFeedback(record: FeedbackRecord): Promise<'recorded' | 'duplicate'>;
}
