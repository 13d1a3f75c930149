import { randomBytes } from 'node:crypto';
import type { SubjectKind } from './receipts';

/**
 * Deletion requests the marketplace made through its API: accepted at once, carried out by the
 * destruction function, and answered with the destruction receipt once done. A request names its
 * subject's kind only; the subject itself goes to the destruction function and into no record.
 */

export interface DeletionRequestRecord {
  /** `req_<32 hex>`. */
  readonly requestId: string;
  readonly subjectKind: SubjectKind;
  /** Who asked, as the destruction receipt names it. */
  readonly requestedBy: string;
  readonly acceptedAt: string;
  readonly status: 'accepted' | 'done';
  /** The destruction receipt, once done. */
  readonly receiptId?: string;
  /** Epoch seconds: kept as long as the receipt it leads to (evidence retention). */
  readonly purgeAt: number;
}

export interface DeletionRequestLog {
  accept(record: DeletionRequestRecord): Promise<void>;
  get(requestId: string): Promise<DeletionRequestRecord | undefined>;
  /** Records the receipt of a request that was carried out; a request not on record is left alone. */
  markDone(requestId: string, receiptId: string): Promise<void>;
}

export const REQUEST_ID_PATTERN = /^req_[0-9a-f]{32}$/;

export function newRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}
