import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimRequest, ClaimResult, DeliveryFailure, Direction, RelayedMessage, RelayedMessages, TransmissionLog } from '../transmission';
import { DELIVERY_STATE } from '../transmission';
import type { TransmissionRecord } from '../transmission';
import { TABLES } from '../../records/table-schema';
import { DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';

/**
 * Transmissions table used as the exactly-once guard: `state` goes `processing` → `done`, back to
 * `released` after a transient failure that sent nothing, or to `dead_lettered` after a permanent
 * one. A `processing` claim whose lease ran out (its invocation died, or SES may have accepted its
 * message) may be taken over; a `dead_lettered` one only by a replay.
 *
 * Each claim writes a fresh `owner` token: when the SDK retries a claim whose first answer was lost,
 * the retry fails its condition on the item the first attempt wrote, and the token shows that item
 * is this claim's own.
 */
export class DynamoTransmissionLog extends DynamoTable implements TransmissionLog {
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const owner = randomUUID();
    const retake = request.retakeDeadLettered ? ' OR #state = :dead_lettered' : '';
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            transmissionId: request.transmissionId,
            sesMessageId: request.sesMessageId,
            state: DELIVERY_STATE.processing,
            owner,
            leaseUntil: request.leaseUntil.getTime(),
            purgeAt: request.purgeAt,
            ...expiryIndexAttributes(request.purgeAt, request.transmissionId),
          },
          ConditionExpression: `attribute_not_exists(transmissionId) OR #state = :released OR (#state = :processing AND leaseUntil < :now)${retake}`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':released': DELIVERY_STATE.released,
            ':processing': DELIVERY_STATE.processing,
            ':now': request.now.getTime(),
            ...(retake ? { ':dead_lettered': DELIVERY_STATE.deadLettered } : {}),
          },
        }),
      );
      return { status: 'claimed' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: { transmissionId: request.transmissionId }, ConsistentRead: true }),
      );
      if (Item?.state === DELIVERY_STATE.done) return { status: 'completed' };
      if (Item?.state === DELIVERY_STATE.deadLettered) return { status: 'dead_lettered' };
      return Item?.state === DELIVERY_STATE.processing && Item.owner === owner ? { status: 'claimed' } : { status: 'in_progress' };
    }
  }

  async complete(record: TransmissionRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, state: DELIVERY_STATE.done, ...expiryIndexAttributes(record.purgeAt, record.transmissionId) } }),
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
        ExpressionAttributeValues: { ':released': DELIVERY_STATE.released, ':processing': DELIVERY_STATE.processing },
      }),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  async markDeadLettered(transmissionId: string, failure: DeliveryFailure): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { transmissionId },
        UpdateExpression: 'SET #state = :dead_lettered, failureReason = :reason, failureErrorName = :errorName, failedAt = :at REMOVE leaseUntil, #owner',
        ConditionExpression: '#state = :processing',
        ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':dead_lettered': DELIVERY_STATE.deadLettered,
          ':processing': DELIVERY_STATE.processing,
          ':reason': failure.reason,
          ':errorName': failure.errorName,
          ':at': failure.at.toISOString(),
        },
      }),
    );
  }
}

/** Read side of the transmissions table, for operators and tests. */
const BY_OUTBOUND = TABLES.transmissions.indexes.find((index) => index.name === 'byOutboundMessage')!;

/** Relayed records by their copy's SendEmail ID, one index query each, all at once. */
export class DynamoRelayedMessages extends DynamoTable implements RelayedMessages {
  async byOutboundId(outboundIds: readonly string[]): Promise<ReadonlyMap<string, RelayedMessage>> {
    const found = new Map<string, RelayedMessage>();
    await Promise.all(
      outboundIds.map(async (outboundId) => {
        const { Items } = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: BY_OUTBOUND.name,
            KeyConditionExpression: '#outbound = :id',
            ExpressionAttributeNames: { '#outbound': BY_OUTBOUND.partitionKey },
            ExpressionAttributeValues: { ':id': outboundId },
            Limit: 1,
          }),
        );
        const item = Items?.[0];
        if (item && typeof item.originalMessageId === 'string' && typeof item.aliasId === 'string') {
          found.set(outboundId, { aliasId: item.aliasId, direction: item.direction as Direction, originalMessageId: item.originalMessageId });
        }
      }),
    );
    return found;
  }
}

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
        ExpressionAttributeValues: { ':done': DELIVERY_STATE.done },
      }),
    );
    return (Items ?? []) as TransmissionRecord[];
  }
}
