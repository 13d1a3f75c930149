import { utcDay } from './days';

/**
 * Key schema of every DynamoDB table. The CDK stack and the local stack both build their tables from
 * this one description, so what runs on a laptop has the same keys and indexes as what runs in AWS.
 * Every key attribute is a string, except where an index says its sort key is a number.
 */
export interface IndexSchema {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** @default 'string' */
  readonly sortKeyType?: 'string' | 'number';
  /**
   * `keys`: only the table's and the index's keys are copied into the index.
   * @default 'all'
   */
  readonly projection?: 'all' | 'keys';
}

export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Epoch-seconds attribute DynamoDB TTL deletes by. */
  readonly ttlAttribute?: string;
  readonly indexes: readonly IndexSchema[];
}

/** Attribute that holds the keyed hash (HMAC) of a real address, for look-ups without decryption. */
const ADDRESS_HASH_ATTRIBUTE = 'addressHash';
/** Epoch seconds after which an item must be gone (DynamoDB TTL). */
export const PURGE_AT_ATTRIBUTE = 'purgeAt';
/** Partition attribute of the expiry index: the UTC day of `purgeAt` and a shard, `2026-11-24#2`. */
export const EXPIRY_BUCKET_ATTRIBUTE = 'expiryBucket';
/**
 * Every item with a `purgeAt` is spread over this many index partitions per day, so a day's writes
 * (all transmission records of today share one purge day) never pile onto one index partition.
 */
export const EXPIRY_SHARDS = 4;

/**
 * The index the retention run finds due items through, per day and shard, in `purgeAt` order:
 * only keys are projected, which is all a deletion needs. Items without `purgeAt` (a store before
 * termination, a retired alias's hash) are not in it.
 */
export const EXPIRY_INDEX = {
  name: 'byExpiry',
  partitionKey: EXPIRY_BUCKET_ATTRIBUTE,
  sortKey: PURGE_AT_ATTRIBUTE,
  sortKeyType: 'number',
  projection: 'keys',
} as const satisfies IndexSchema;

/** UTC day (`YYYY-MM-DD`) of an epoch-seconds instant. */
export function expiryDay(purgeAt: number): string {
  return utcDay(new Date(purgeAt * 1000));
}

/** FNV-1a of the item's key: a stable, even spread over the shards without a crypto call per write. */
function shardOf(itemKey: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < itemKey.length; i += 1) {
    hash ^= itemKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % EXPIRY_SHARDS;
}

/** The expiry-index partition of an item; `itemKey` is its primary key's values joined by `/`. */
export function expiryBucket(purgeAt: number, itemKey: string): string {
  return `${expiryDay(purgeAt)}#${shardOf(itemKey)}`;
}

/** Every expiry-index partition of one UTC day. */
export function expiryBucketsOfDay(day: string): string[] {
  return Array.from({ length: EXPIRY_SHARDS }, (_, shard) => `${day}#${shard}`);
}

/** Prefix of the rate-limit counter items in the transmissions table, apart from `<sesMessageId>/<index>` records. */
export const RATE_COUNTER_PREFIX = 'rate#';

/** A counter item's count of the times a message found its limit full (and was held or refused). */
export const OVER_LIMIT_ATTRIBUTE = 'overLimit';

/** One rate-limit subject's counter item for one Japanese day. */
export function rateCounterKey(subject: string, day: string): { transmissionId: string } {
  return { transmissionId: `${RATE_COUNTER_PREFIX}${subject}#${day}` };
}

/** The attributes a pause sets on a store item (`pausedAt`, `pauseReason`): a pausing role may update only these. */
export const STORE_PAUSE_ATTRIBUTES = ['pausedAt', 'pauseReason'] as const;

/** The attribute a store's own rate limits are kept in. */
export const STORE_LIMITS_ATTRIBUTE = 'limits';

/** A stores-table item's key. */
export const STORE_KEY_ATTRIBUTES = ['storeId', 'item'] as const;

/** Sort key (`item`) of a store's own item in the stores table; its senders are `sender#<address hash>`. */
export const STORE_ITEM = 'store';
export const SENDER_ITEM_PREFIX = 'sender#';

/** Sort key of a registered sender's item. */
export function senderItem(addressHash: string): string {
  return `${SENDER_ITEM_PREFIX}${addressHash}`;
}

/** Key of the item that keeps a retired alias from being issued again: a one-way hash of its name only. */
export const RETIRED_ALIAS_PREFIX = 'retired#';

export const TABLES = {
  /** `c-…` customer aliases and `m-…` reverse aliases, one item each. */
  /**
   * `c-…` customer aliases and `m-…` reverse aliases, one item each; and for every customer alias
   * ever issued, a `retired#<sha-256 of the name>` item that outlives it, so the name is never
   * issued again.
   */
  aliases: {
    partitionKey: 'alias',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [
      { name: 'byAddressHash', partitionKey: ADDRESS_HASH_ATTRIBUTE },
      { name: 'byStore', partitionKey: 'storeId', sortKey: 'alias', projection: 'keys' },
      EXPIRY_INDEX,
      /** A store's aliases by expiry, so the live ones can be counted without reading them. */
      { name: 'byStoreExpiry', partitionKey: 'storeId', sortKey: 'expiresAt', projection: 'keys' },
    ],
  },
  /**
   * A store (`item = "store"`) and its registered senders (`item = "sender#<hash>"`). They get a
   * `purgeAt` only when the store is terminated.
   */
  stores: {
    partitionKey: 'storeId',
    sortKey: 'item',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [
      { name: 'byAddressHash', partitionKey: ADDRESS_HASH_ATTRIBUTE },
      EXPIRY_INDEX,
      /**
       * Every store in store-ID order (`item = "store"`), for listing them; each sender item is a
       * partition of its own there and never read. Stores are few and rarely written, so one index
       * partition holds them.
       */
      { name: 'byItem', partitionKey: 'item', sortKey: 'storeId', projection: 'keys' },
    ],
  },
  /**
   * One record per inbound SES message and envelope recipient (`<sesMessageId>/<recipient index>`):
   * outcome, verdicts, size, connecting IP; never an address or a subject. It doubles as the
   * exactly-once claim for that delivery.
   */
  transmissions: {
    partitionKey: 'transmissionId',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [
      { name: 'byAlias', partitionKey: 'aliasId', sortKey: 'receivedAt' },
      EXPIRY_INDEX,
      /** A store's records newest first, for its merchant menu; records of mail to no store are not in it. */
      { name: 'byStore', partitionKey: 'storeId', sortKey: 'receivedAt' },
      /**
       * Relayed records by the SendEmail ID of their copy (SES makes it the copy's Message-ID), so a
       * reply to the copy can be threaded to the original; records of refused mail are not in it.
       */
      { name: 'byOutboundMessage', partitionKey: 'outboundMessageId' },
      /**
       * Relayed records by their recipient alias and the Message-ID their author wrote
       * (`originalMessageKey`), so an author's own earlier message named in References can be
       * given as the copy the other party received.
       */
      { name: 'byOriginalMessage', partitionKey: 'originalMessageKey' },
    ],
  },
  /**
   * Merchant-menu access records (data class "access"): one item per access of a store's menu,
   * `accessId = <ISO time>#<random>`, with the client IP, the action and its result.
   */
  access: {
    partitionKey: 'storeId',
    sortKey: 'accessId',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [EXPIRY_INDEX],
  },
  /**
   * Retention, destruction and termination receipts (data class "evidence"), newest last within a
   * kind (`receiptId = <ISO time>#<random>`); also the retention run's checkpoint
   * (`kind = "checkpoint"`).
   */
  receipts: {
    partitionKey: 'kind',
    sortKey: 'receiptId',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [EXPIRY_INDEX],
  },
} as const satisfies Record<string, TableSchema>;

export type TableKey = keyof typeof TABLES;
