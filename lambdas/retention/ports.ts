import type { RawMailArchive } from '../records/ports';
import type { ReceiptLog } from '../records/receipts';

/**
 * Ports of the retention run (`retention-run.ts`). Adapters in the `aws/` folders implement them with
 * DynamoDB, S3 and Lambda; unit tests use in-memory doubles with the same conditions.
 */

/** The tables the run finds due items in through their expiry index, in the order it visits them. */
export const EXPIRING_TABLES = ['aliases', 'stores', 'access', 'transmissions', 'receipts'] as const;
export type ExpiringTable = (typeof EXPIRING_TABLES)[number];

/**
 * What one run works through, in order: raw mail first (the most personal data, the shortest
 * period), then the tables, then SES's suppression list. A checkpoint names the stage a stopped
 * run got to.
 */
export const RETENTION_STAGES = ['content', ...EXPIRING_TABLES, 'suppressions'] as const;
export type RetentionStage = (typeof RETENTION_STAGES)[number];

/** An item's primary key, attribute by attribute (every table key in the schema is a string). */
export type ItemKey = Readonly<Record<string, string>>;

export interface DueKeysPage {
  readonly keys: readonly ItemKey[];
  /** Where the next page starts; absent when the bucket has no more due keys. */
  readonly cursor?: string;
}

/** One table's expiry index (`byExpiry`): due keys per bucket, and the deletion that re-checks them. */
export interface ExpiryIndex {
  /** Keys in one `<day>#<shard>` bucket with `purgeAt <= nowSeconds`, in `purgeAt` order. */
  dueKeys(bucket: string, nowSeconds: number, page: { readonly cursor?: string; readonly limit: number }): Promise<DueKeysPage>;
  /**
   * Deletes the item only while its `purgeAt` is still at or before `nowSeconds`: the index is
   * eventually consistent, and an item re-dated since (a pause, a termination) must survive.
   * False when the condition failed or the item is already gone.
   */
  deleteIfDue(key: ItemKey, nowSeconds: number): Promise<boolean>;
}

/** Keeps a customer alias name from ever being issued again once the alias itself is gone. */
export interface AliasRetirer {
  /** Writes the `retired#<hash>` item for the alias; writing it again changes nothing. */
  keepRetiredName(alias: string): Promise<void>;
}

/**
 * Asks for a terminated store to be erased in full. The destruction function does it and writes its
 * own receipt; the retention run only notices that the store's support period ended.
 */
export interface StoreErasure {
  requestErasure(storeId: string): Promise<void>;
}

/** Where a stopped run got to: the next page to fetch. */
export interface RetentionPosition {
  readonly stage: RetentionStage;
  /** Table stages: the UTC day and shard whose bucket the cursor belongs to. */
  readonly day?: string;
  readonly shard?: number;
  /** Opaque cursor of the index query or of the raw-mail sweep. */
  readonly cursor?: string;
}

/**
 * A pass that a run stopped before its end: where it stopped, and the UTC day of `now` of the run
 * that began it. Stages before the position were visited only through that day, so the pass after
 * this one has to start there again.
 */
interface UnfinishedPass {
  readonly position: RetentionPosition;
  readonly beganOn: string;
}

/**
 * What the next run needs to know. `fromDay` is the first expiry day a pass visits: the day of
 * `now` of the last complete pass, included again because items later that day were not yet due.
 */
export interface RetentionCheckpoint {
  readonly fromDay: string;
  readonly unfinished?: UnfinishedPass;
}

/** The checkpoint is an item of the receipts table with this `kind`, and no `purgeAt`. */
export const CHECKPOINT_KIND = 'checkpoint';

export interface RetentionCheckpointStore {
  load(): Promise<RetentionCheckpoint | undefined>;
  save(checkpoint: RetentionCheckpoint): Promise<void>;
}

/**
 * SES's account-level suppression list, which keeps a bounced or complaining address until it is
 * deleted: entries put there before the cutoff are removed page by page.
 */
export interface SuppressionSweep {
  sweepOlderThan(cutoff: Date, page: { readonly cursor?: string | undefined; readonly pageSize: number }): Promise<{ readonly removed: number; readonly cursor?: string }>;
}

export interface RetentionPorts {
  readonly expiryIndexes: Readonly<Record<ExpiringTable, ExpiryIndex>>;
  readonly suppressions: SuppressionSweep;
  readonly rawMail: Pick<RawMailArchive, 'sweepOlderThan'>;
  readonly receipts: Pick<ReceiptLog, 'record'>;
  readonly checkpoints: RetentionCheckpointStore;
  readonly aliasRetirer: AliasRetirer;
  readonly storeErasure: StoreErasure;
}
