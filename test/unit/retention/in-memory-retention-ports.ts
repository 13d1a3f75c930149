import type { Receipt } from '../../../lambdas/records/receipts';
import type {
  AliasRetirer,
  DueKeysPage,
  ExpiringTable,
  ExpiryIndex,
  ItemKey,
  RetentionCheckpoint,
  RetentionCheckpointStore,
  RetentionPorts,
  StoreErasure,
} from '../../../lambdas/retention/ports';
import { EXPIRING_TABLES } from '../../../lambdas/retention/ports';
import { expiryBucket } from '../../../lambdas/records/table-schema';

/**
 * In-memory retention ports with the DynamoDB adapters' semantics: the index is a snapshot that may
 * lag the table (an item re-dated or deleted since still shows), and the deletion re-checks the
 * table's current `purgeAt`.
 */

const keyString = (key: ItemKey): string => Object.values(key).join('/');

interface Row {
  readonly key: ItemKey;
  purgeAt?: number;
}

class InMemoryExpiryIndex implements ExpiryIndex {
  readonly rows = new Map<string, Row>();
  /** Index entries as of their last write: bucket and purgeAt at that time. */
  private readonly entries = new Map<string, { readonly bucket: string; readonly purgeAt: number; readonly key: ItemKey }>();
  readonly bucketsQueried: string[] = [];
  /** Buckets whose next query fails, as on a throttled or unreachable table. */
  readonly failingBuckets = new Map<string, Error>();

  put(key: ItemKey, purgeAt?: number): void {
    const id = keyString(key);
    this.rows.set(id, { key, ...(purgeAt === undefined ? {} : { purgeAt }) });
    if (purgeAt === undefined) this.entries.delete(id);
    else this.entries.set(id, { bucket: expiryBucket(purgeAt, id), purgeAt, key });
  }

  /** Changes the table item only, as a write the eventually consistent index has not caught up with. */
  redateInTableOnly(key: ItemKey, purgeAt: number): void {
    const row = this.rows.get(keyString(key));
    if (row) row.purgeAt = purgeAt;
  }

  has(key: ItemKey): boolean {
    return this.rows.has(keyString(key));
  }

  async dueKeys(bucket: string, nowSeconds: number, page: { readonly cursor?: string; readonly limit: number }): Promise<DueKeysPage> {
    this.bucketsQueried.push(bucket);
    const error = this.failingBuckets.get(bucket);
    if (error) {
      this.failingBuckets.delete(bucket);
      throw error;
    }
    const due = [...this.entries.entries()]
      .filter(([, entry]) => entry.bucket === bucket && entry.purgeAt <= nowSeconds)
      .sort(([a, x], [b, y]) => x.purgeAt - y.purgeAt || (a < b ? -1 : a > b ? 1 : 0));
    const start = page.cursor === undefined ? 0 : due.findIndex(([id]) => id === page.cursor) + 1;
    const slice = due.slice(start, start + page.limit);
    const last = slice.at(-1);
    return { keys: slice.map(([, entry]) => entry.key), ...(slice.length === page.limit && last ? { cursor: last[0] } : {}) };
  }

  async deleteIfDue(key: ItemKey, nowSeconds: number): Promise<boolean> {
    const id = keyString(key);
    const row = this.rows.get(id);
    if (row?.purgeAt === undefined || row.purgeAt > nowSeconds) return false;
    this.rows.delete(id);
    this.entries.delete(id);
    return true;
  }
}

/** Raw mail objects by key, each with versions last modified at given instants. */
class InMemoryRawMailArchive {
  readonly versions: { readonly key: string; readonly lastModified: Date }[] = [];
  readonly cutoffs: Date[] = [];

  add(key: string, lastModified: Date): void {
    this.versions.push({ key, lastModified });
    this.versions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async sweepOlderThan(cutoff: Date, page: { readonly cursor?: string; readonly maxKeys: number }): Promise<{ readonly removed: number; readonly cursor?: string }> {
    this.cutoffs.push(cutoff);
    const listed = this.versions.filter((v) => page.cursor === undefined || v.key > page.cursor).slice(0, page.maxKeys);
    const old = listed.filter((v) => v.lastModified.getTime() <= cutoff.getTime());
    for (const version of old) this.versions.splice(this.versions.indexOf(version), 1);
    const last = listed.at(-1);
    const more = last !== undefined && this.versions.some((v) => v.key > last.key);
    return { removed: old.length, ...(more ? { cursor: last.key } : {}) };
  }
}

class InMemoryCheckpointStore implements RetentionCheckpointStore {
  constructor(public checkpoint?: RetentionCheckpoint) {}

  async load(): Promise<RetentionCheckpoint | undefined> {
    return this.checkpoint;
  }

  async save(checkpoint: RetentionCheckpoint): Promise<void> {
    this.checkpoint = structuredClone(checkpoint);
  }
}

class RecordingReceiptLog {
  readonly receipts: Receipt[] = [];

  async record(receipt: Receipt): Promise<void> {
    this.receipts.push(receipt);
  }
}

/** Records the names kept, and whether each alias still existed then (the hash must come first). */
class InMemoryAliasRetirer implements AliasRetirer {
  readonly retired: string[] = [];
  readonly keptWhileAliasExisted: boolean[] = [];

  constructor(private readonly aliases: InMemoryExpiryIndex) {}

  async keepRetiredName(alias: string): Promise<void> {
    this.retired.push(alias);
    this.keptWhileAliasExisted.push(this.aliases.has({ alias }));
  }
}

class RecordingStoreErasure implements StoreErasure {
  readonly requested: string[] = [];

  async requestErasure(storeId: string): Promise<void> {
    this.requested.push(storeId);
  }
}

/** SES's suppression list: addresses and when they were put there. */
class InMemorySuppressionList {
  readonly entries = new Map<string, Date>();

  async sweepOlderThan(cutoff: Date, page: { readonly cursor?: string | undefined; readonly pageSize: number }): Promise<{ readonly removed: number; readonly cursor?: string }> {
    const listed = [...this.entries].filter(([, at]) => at.getTime() <= cutoff.getTime()).slice(0, page.pageSize);
    for (const [address] of listed) this.entries.delete(address);
    const more = [...this.entries.values()].some((at) => at.getTime() <= cutoff.getTime());
    return { removed: listed.length, ...(more ? { cursor: 'next' } : {}) };
  }
}

export interface RetentionDoubles {
  readonly ports: RetentionPorts;
  readonly suppressions: InMemorySuppressionList;
  readonly indexes: Record<ExpiringTable, InMemoryExpiryIndex>;
  readonly rawMail: InMemoryRawMailArchive;
  readonly checkpoints: InMemoryCheckpointStore;
  readonly receipts: RecordingReceiptLog;
  readonly retirer: InMemoryAliasRetirer;
  readonly erasure: RecordingStoreErasure;
}

export function retentionDoubles(): RetentionDoubles {
  const indexes = Object.fromEntries(EXPIRING_TABLES.map((table) => [table, new InMemoryExpiryIndex()])) as Record<ExpiringTable, InMemoryExpiryIndex>;
  const rawMail = new InMemoryRawMailArchive();
  const checkpoints = new InMemoryCheckpointStore();
  const receipts = new RecordingReceiptLog();
  const retirer = new InMemoryAliasRetirer(indexes.aliases);
  const erasure = new RecordingStoreErasure();
  const suppressions = new InMemorySuppressionList();
  return {
    ports: { expiryIndexes: indexes, rawMail, receipts, checkpoints, aliasRetirer: retirer, storeErasure: erasure, suppressions },
    suppressions,
    indexes,
    rawMail,
    checkpoints,
    receipts,
    retirer,
    erasure,
  };
}
