import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimRequest, ClaimResult, TransmissionLog } from '../core/ports';
import type { TransmissionRecord } from '../core/transmission';
import { TABLES } from '../shared/table-schema';
import { DynamoTable, expiryIndexAttributes, isConditionFailure } from './dynamo-document';

/**
 * Transmissions table used as the exactly-once guard: `state` goes `processing` → `done`, or back to
 * `released` after a transient failure. A `processing` claim whose lease ran out (its invocation
 * died) may be taken over.
 */
export class DynamoTransmissionLog extends DynamoTable implements TransmissionLog {
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            transmissionId: request.transmissionId,
            sesMessageId: request.sesMessageId,
            state: 'processing',
            leaseUntil: request.leaseUntil.getTime(),
            purgeAt: request.purgeAt,
            ...expiryIndexAttributes(request.purgeAt, request.transmissionId),
          },
          ConditionExpression: 'attribute_not_exists(transmissionId) OR #state = :released OR (#state = :processing AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':released': 'released', ':processing': 'processing', ':now': request.now.getTime() },
        }),
      );
      return { status: 'claimed' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: { transmissionId: request.transmissionId }, ConsistentRead: true }),
      );
      return Item?.state === 'done' ? { status: 'completed' } : { status: 'in_progress' };
    }
  }

  async complete(record: TransmissionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, state: 'done', ...expiryIndexAttributes(record.purgeAt, record.transmissionId) } }),
    );
  }

  async release(transmissionId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { transmissionId },
        UpdateExpression: 'SET #state = :released REMOVE leaseUntil',
        ConditionExpression: '#state = :processing',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':released': 'released', ':processing': 'processing' },
      }),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }
}

/** Read side of the transmissions table, for operators and tests. */
export class DynamoTransmissionReader extends DynamoTable {
  /** Newest first, for one alias, through the by-alias index. */
  async listByAlias(aliasId: string, limit: number): Promise<TransmissionRecord[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: TABLES.transmissions.indexes[0].name,
        KeyConditionExpression: 'aliasId = :alias',
        ExpressionAttributeValues: { ':alias': aliasId },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []) as TransmissionRecord[];
  }

  /** Up to `limit` completed records in no particular order; meant for small local tables. */
  async listAny(limit: number): Promise<TransmissionRecord[]> {
    const { Items } = await this.db.send(
      new ScanCommand({
        TableName: this.tableName,
        Limit: limit,
        FilterExpression: '#state = :done',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done' },
      }),
    );
    return (Items ?? []) as TransmissionRecord[];
  }
}
