import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHeld, DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';
import type { LoginThrottle } from '../ports';

/** Counters outlive their window and lock by this much, then go by TTL. */
const KEEP_MS = 60 * 60_000;

/**
 * Failed sign-ins per key in the access table (`storeId = throttle#<key>`, `accessId = lockout`):
 * a count since the window's first failure, and the instant a lock ends. The window restarts at
 * the first failure after it has passed.
 */
export class DynamoLoginThrottle extends DynamoTable implements LoginThrottle {
  private key(key: string): { storeId: string; accessId: string } {
    return { storeId: `throttle#${key}`, accessId: 'lockout' };
  }

  async lockedUntil(key: string, now: Date): Promise<number | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }));
    const until = typeof Item?.lockedUntil === 'number' ? Item.lockedUntil : undefined;
    return until !== undefined && until > now.getTime() ? until : undefined;
  }

  async recordFailure(key: string, now: Date, window: { readonly startsAfter: Date; readonly limit: number; readonly lockUntil: Date }): Promise<void> {
    const Key = this.key(key);
    const purgeAt = Math.ceil((now.getTime() + KEEP_MS) / 1000);
    const expiry = expiryIndexAttributes(purgeAt, `${Key.storeId}/${Key.accessId}`);
    let failures = 1;
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'ADD failures :one SET purgeAt = :purgeAt, expiryBucket = :bucket',
          ConditionExpression: 'windowStart > :startsAfter',
          ExpressionAttributeValues: { ':one': 1, ':purgeAt': purgeAt, ':bucket': expiry.expiryBucket, ':startsAfter': window.startsAfter.getTime() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      failures = Number(Attributes?.failures ?? 1);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...Key, windowStart: now.getTime(), failures: 1, purgeAt, ...expiry } }));
    }
    if (failures >= window.limit) {
      const lockPurgeAt = Math.ceil((window.lockUntil.getTime() + KEEP_MS) / 1000);
      await conditionHeld(
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET lockedUntil = :until, purgeAt = :purgeAt, expiryBucket = :bucket',
            ExpressionAttributeValues: { ':until': window.lockUntil.getTime(), ':purgeAt': lockPurgeAt, ':bucket': expiryIndexAttributes(lockPurgeAt, `${Key.storeId}/${Key.accessId}`).expiryBucket },
          }),
        ),
      );
    }
  }

  async clear(key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(key) }));
  }
}
