import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { epochSecondsAfter } from '../../records/retention-policy';
import { DynamoTable, expiryIndexAttributes } from '../../aws/dynamo-document';

/**
 * Merchant-menu access records (data class "access"): who reached a store's menu, from where, and
 * what came of it. One partition per store, so a store's whole access log is one query away, and
 * erased with it.
 */
export interface AccessRecord {
  readonly storeId: string;
  /** `<ISO time>#<random hex>`: unique, and sorts by time within the store. */
  readonly accessId: string;
  readonly at: string;
  readonly clientIp: string;
  /** What was attempted, e.g. `login`. */
  readonly action: string;
  readonly result: 'succeeded' | 'failed';
  /** Epoch seconds: the access plus the access-record retention. */
  readonly purgeAt: number;
}

export interface AccessEvent {
  readonly storeId: string;
  readonly at: Date;
  readonly clientIp: string;
  readonly action: string;
  readonly result: AccessRecord['result'];
}

/** The record of one access, kept `retentionDays` from the access. */
export function accessRecord(event: AccessEvent, retentionDays: number): AccessRecord {
  return {
    storeId: event.storeId,
    accessId: `${event.at.toISOString()}#${randomBytes(4).toString('hex')}`,
    at: event.at.toISOString(),
    clientIp: event.clientIp,
    action: event.action,
    result: event.result,
    purgeAt: epochSecondsAfter(event.at, retentionDays),
  };
}

export class DynamoAccessLog extends DynamoTable {
  async record(record: AccessRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, ...expiryIndexAttributes(record.purgeAt, `${record.storeId}/${record.accessId}`) } }),
    );
  }

  /** Newest first. */
  async list(storeId: string, limit: number): Promise<AccessRecord[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#store = :store',
        ExpressionAttributeNames: { '#store': 'storeId' },
        ExpressionAttributeValues: { ':store': storeId },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => {
      const { expiryBucket: _bucket, ...record } = item;
      return record as AccessRecord;
    });
  }
}
