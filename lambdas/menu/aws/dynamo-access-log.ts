import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { epochSecondsAfter } from '../../records/retention-policy';
import { DynamoTable, expiryIndexAttributes } from '../../aws/dynamo-document';
import type { AccessEntry, AccessLog, AccessLogEntry, AccessResult } from '../ports';

/**
 * Merchant-menu access records (data class "access"): who reached a store's menu, from where, and
 * what came of it. One partition per store, so a store's whole access log is one query away, and
 * erased with it; a request that named no store goes to its IP address's partition (`ip#…`).
 */
interface AccessRecord {
  readonly storeId: string;
  /** `<ISO time>#<random hex>`: unique, and sorts by time within the partition. */
  readonly accessId: string;
  readonly at: string;
  readonly clientIp: string;
  /** What was asked: a page (`GET /senders`) or an action (`login`), never its parameters. */
  readonly action: string;
  readonly result: AccessResult;
  /** Epoch seconds: the access plus the access-record retention. */
  readonly purgeAt: number;
}

/** The record of one access, kept `retentionDays` from the access. */
function accessRecord(entry: AccessEntry, retentionDays: number): AccessRecord {
  return {
    storeId: entry.storeId ?? `ip#${entry.clientIp}`,
    accessId: `${entry.at.toISOString()}#${randomBytes(4).toString('hex')}`,
    at: entry.at.toISOString(),
    clientIp: entry.clientIp,
    action: entry.action,
    result: entry.result,
    purgeAt: epochSecondsAfter(entry.at, retentionDays),
  };
}

/** Access records sort first in a store's partition (they start with a year); sessions start with `session#`. */
const ACCESS_RECORDS = { from: '0', to: '9~' } as const;
/** Login history reads at most this many pages of a store's log looking for sign-ins. */
const MAX_HISTORY_PAGES = 10;

export class DynamoAccessLog extends DynamoTable implements AccessLog {
  constructor(
    client: ConstructorParameters<typeof DynamoTable>[0],
    tableName: string,
    private readonly retentionDays: number,
  ) {
    super(client, tableName);
  }

  async record(entry: AccessEntry): Promise<void> {
    const record = accessRecord(entry, this.retentionDays);
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, ...expiryIndexAttributes(record.purgeAt, `${record.storeId}/${record.accessId}`) } }),
    );
  }

  /** The sign-in steps among the store's access records, newest first. */
  async logins(storeId: string, limit: number): Promise<AccessLogEntry[]> {
    const logins: AccessLogEntry[] = [];
    let cursor: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES && logins.length < limit; page += 1) {
      const { Items, LastEvaluatedKey } = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#store = :store AND #id BETWEEN :from AND :to',
          FilterExpression: 'begins_with(#action, :login)',
          ExpressionAttributeNames: { '#store': 'storeId', '#id': 'accessId', '#action': 'action' },
          ExpressionAttributeValues: { ':store': storeId, ':from': ACCESS_RECORDS.from, ':to': ACCESS_RECORDS.to, ':login': 'login' },
          ScanIndexForward: false,
          Limit: limit,
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const { at, clientIp, action, result } of (Items ?? []) as AccessRecord[]) logins.push({ at, clientIp, action, result });
      cursor = LastEvaluatedKey;
      if (!cursor) break;
    }
    return logins.slice(0, limit);
  }
}
