import { randomBytes } from 'node:crypto';
import { DAY_SECONDS, epochSecondsAfter, policyVersion } from './retention-policy';
import type { DataClass, RetentionPolicy } from './retention-policy';

/**
 * Receipts (data class "evidence"): what a retention run, a destruction or a termination did, under
 * which policy version, when and at whose request. They carry counts, never personal data: the
 * subject of a destruction is named only by a keyed hash that differs from every look-up hash the
 * relay stores, so the receipt cannot be joined back to any remaining data, yet an operator holding
 * the HMAC key can show which request a receipt answers.
 */

/** Every kind, each with its own signed chain; `incident` is the incident register. */
export const RECEIPT_KINDS = ['retention', 'destruction', 'termination', 'incident'] as const;
export type ReceiptKind = (typeof RECEIPT_KINDS)[number];
export type SubjectKind = 'store' | 'customer';

/** Items, objects and object versions per data class. */
export type ClassCounts = Readonly<Partial<Record<DataClass, number>>>;

export interface Receipt {
  readonly kind: ReceiptKind;
  /** `<startedAt ISO>#<random hex>`: unique, and sorts by time within a kind. */
  readonly receiptId: string;
  readonly policyVersion: string;
  /** Who asked: `schedule`, `cli`, `event:<detail-type>`, or `retention` for an erasure a run started. */
  readonly requestedBy: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Removed (retention, destruction) or re-dated for erasure (termination), per class. */
  readonly counts: ClassCounts;
  /** Retention: aliases retired, of which only a one-way hash of the name is kept. */
  readonly aliasesRetired?: number;
  /** Retention: receipts it removed as past their own period (kind and ID: no personal data), so a chain may start after them. */
  readonly prunedReceipts?: readonly { readonly kind: ReceiptKind; readonly receiptId: string }[];
  /** False when the run stopped before the end (time budget) and the next run goes on from there. */
  readonly complete: boolean;
  /** Destruction and termination: whom it was about, as a receipt-only keyed hash. */
  readonly subject?: { readonly kind: SubjectKind; readonly hash: string };
  /** Destruction: a search after the erasure found nothing left about the subject. */
  readonly verified?: boolean;
  /**
   * Customer destruction: stores whose contact address is the erased customer's. Their store items
   * are kept (erasing them would erase the store); the store is its own subject.
   */
  readonly keptStoreContacts?: number;
  /** Termination: when the store's remaining data is erased. */
  readonly eraseAt?: string;
  /** Destruction and retention: the instant after which no backup (PITR) still holds what was removed. */
  readonly backupsExpireBy?: string;
  /** Incident register: the incident recorded, or the register's opening. */
  readonly incident?: IncidentEntry;
  /** Epoch seconds: when this receipt itself expires (evidence retention). */
  readonly purgeAt: number;
}

/**
 * One entry of the incident register. The register opens with a `register_opened` entry (the first
 * retention run writes it), so a report can show since when it has been kept; after that, each
 * incident, a data breach or not. Titles and descriptions name no person.
 */
export interface IncidentEntry {
  readonly entry: 'register_opened' | 'incident';
  readonly occurredAt?: string;
  readonly title?: string;
  readonly breach?: boolean;
  /** The data classes concerned. */
  readonly classes?: readonly DataClass[];
  /** Users (stores and customers) affected, as far as known. */
  readonly affected?: number;
  readonly description?: string;
}

export function newReceiptId(startedAt: Date): string {
  return `${startedAt.toISOString()}#${randomBytes(4).toString('hex')}`;
}

/** MAC input naming a destruction subject in receipts; distinct from the address and alias inputs. */
export function receiptSubjectMacInput(kind: SubjectKind, key: string): string {
  return `receipt:v1:${kind}:${key}`;
}

export interface ReceiptQuery {
  readonly kind?: ReceiptKind;
  readonly limit: number;
}

/** Receipts are written once and never changed; only their own retention removes them. */
export interface ReceiptLog {
  record(receipt: Receipt): Promise<void>;
  /** Newest first. */
  list(query: ReceiptQuery): Promise<Receipt[]>;
  get(kind: ReceiptKind, receiptId: string): Promise<Receipt | undefined>;
}

/** What every receipt states about itself: kind, identity, policy version, requester, times, its own expiry. */
export type ReceiptFrame = Pick<Receipt, 'kind' | 'receiptId' | 'policyVersion' | 'requestedBy' | 'startedAt' | 'finishedAt' | 'purgeAt'>;

export function receiptFrame(kind: ReceiptKind, request: { readonly policy: RetentionPolicy; readonly requestedBy: string; readonly startedAt: Date; readonly finishedAt: Date }): ReceiptFrame {
  return {
    kind,
    receiptId: newReceiptId(request.startedAt),
    policyVersion: policyVersion(request.policy),
    requestedBy: request.requestedBy,
    startedAt: request.startedAt.toISOString(),
    finishedAt: request.finishedAt.toISOString(),
    purgeAt: epochSecondsAfter(request.finishedAt, request.policy.classes.evidence.retentionDays),
  };
}

/** The instant after which no point-in-time backup still holds what was removed by `finishedAt`. */
export function backupsExpireBy(policy: RetentionPolicy, finishedAt: Date): string {
  return new Date(finishedAt.getTime() + policy.backupDays * DAY_SECONDS * 1000).toISOString();
}
