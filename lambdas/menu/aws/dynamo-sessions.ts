import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHeld, DynamoTable, expiryIndexAttributes } from '../../aws/dynamo-document';
import type { MenuSession, SessionStore } from '../ports';

const SESSION_PREFIX = 'session#';
const epochSeconds = (at: Date): number => Math.ceil(at.getTime() / 1000);

/**
 * Menu sessions in the access table, in the store's own partition (`accessId = session#<hash of the
 * cookie's secret>`), so erasing a store ends its sessions; DynamoDB's TTL removes idle ones.
 */
export class DynamoSessions extends DynamoTable implements SessionStore {
  async put(session: MenuSession, expiresAt: Date): Promise<void> {
    const accessId = `${SESSION_PREFIX}${session.secretHash}`;
    const purgeAt = epochSeconds(expiresAt);
    const { secretHash: _hash, ...rest } = session;
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...rest, accessId, purgeAt, ...expiryIndexAttributes(purgeAt, `${session.storeId}/${accessId}`) } }),
    );
  }

  async get(storeId: string, secretHash: string): Promise<MenuSession | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { storeId, accessId: `${SESSION_PREFIX}${secretHash}` }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { accessId: _id, purgeAt: _purgeAt, expiryBucket: _bucket, ...session } = Item;
    return { ...(session as Omit<MenuSession, 'secretHash'>), secretHash };
  }

  async touch(storeId: string, secretHash: string, at: Date, expiresAt: Date): Promise<void> {
    const accessId = `${SESSION_PREFIX}${secretHash}`;
    const purgeAt = epochSeconds(expiresAt);
    // A session removed meanwhile (log out, erasure) stays removed.
    await conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { storeId, accessId },
          UpdateExpression: 'SET lastSeenAt = :at, purgeAt = :purgeAt, expiryBucket = :bucket',
          ConditionExpression: 'attribute_exists(accessId)',
          ExpressionAttributeValues: { ':at': at.getTime(), ':purgeAt': purgeAt, ':bucket': expiryIndexAttributes(purgeAt, `${storeId}/${accessId}`).expiryBucket },
        }),
      ),
    );
  }

  async remove(storeId: string, secretHash: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { storeId, accessId: `${SESSION_PREFIX}${secretHash}` } }));
  }
}
