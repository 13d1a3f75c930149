/**
 * Key schema of every DynamoDB table. The CDK stack and the local stack both build their tables from
 * this one description, so what runs on a laptop has the same keys and indexes as what runs in AWS.
 * Every key attribute is a string.
 */
export interface IndexSchema {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Epoch-seconds attribute DynamoDB TTL deletes by. */
  readonly ttlAttribute?: string;
  readonly indexes: readonly IndexSchema[];
}

/** Attribute that holds the keyed hash (HMAC) of a real address, for look-ups without decryption. */
export const ADDRESS_HASH_ATTRIBUTE = 'addressHash';
/** Epoch seconds after which an item must be gone (DynamoDB TTL). */
export const PURGE_AT_ATTRIBUTE = 'purgeAt';

export const TABLES = {
  /** `c-…` customer aliases and `m-…` reverse aliases, one item each. */
  aliases: {
    partitionKey: 'alias',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [{ name: 'byAddressHash', partitionKey: ADDRESS_HASH_ATTRIBUTE }],
  },
  /** A store (`item = "store"`) and its registered senders (`item = "sender#<hash>"`). */
  stores: {
    partitionKey: 'storeId',
    sortKey: 'item',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [{ name: 'byAddressHash', partitionKey: ADDRESS_HASH_ATTRIBUTE }],
  },
  /**
   * One record per inbound SES message and envelope recipient (`<sesMessageId>/<recipient index>`):
   * outcome, verdicts, size, connecting IP; never an address or a subject. It doubles as the
   * exactly-once claim for that delivery.
   */
  transmissions: {
    partitionKey: 'transmissionId',
    ttlAttribute: PURGE_AT_ATTRIBUTE,
    indexes: [{ name: 'byAlias', partitionKey: 'aliasId', sortKey: 'receivedAt' }],
  },
} as const satisfies Record<string, TableSchema>;

export type TableKey = keyof typeof TABLES;
