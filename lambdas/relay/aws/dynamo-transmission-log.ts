import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimRequest, ClaimResult, DeliveryFailure, Direction, RelayedMessage, RelayedMessages, TransmissionLog } from '../transmission';
import { DELIVERY_STATE } from '../transmission';
import type { TransmissionRecord } from '../transmission';
import { EXPIRY_INDEX, expiryBucketsOfDay, TABLES } from '../../records/table-schema';
import { utcDay } from '../../records/days';
import { BATCH_GET_LIMIT, batchGetAll, DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';

const DAY_MS = 86_400_000;
const BY_OUTBOUND = TABLES.transmissions.indexes.find((index) => index.name === 'byOutboundMessage')!;
const BY_ORIGINAL = TABLES.transmissions.indexes.find((index) => index.name === 'byOriginalMessage')!;

/** The by-original-message index's key: an author's Message-ID within one alias's conversation. */
function originalMessageKey(aliasId: string, originalMessageId: string): string {
  return `${aliasId} ${originalMessageId}`;
}

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
    const threaded = record.outboundMessageId !== undefined && record.originalMessageId !== undefined;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...record,
          state: DELIVERY_STATE.done,
          ...expiryIndexAttributes(record.purgeAt, record.transmissionId),
          ...(threaded ? { [BY_ORIGINAL.partitionKey]: originalMessageKey(record.aliasId, record.originalMessageId ?? '') } : {}),
        },
      }),
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

/** Relayed records by their copy's SendEmail ID or their author's Message-ID, one index query each, all at once. */
export class DynamoRelayedMessages extends DynamoTable implements RelayedMessages {
  async byOutboundId(outboundIds: readonly string[]): Promise<ReadonlyMap<string, RelayedMessage>> {
    const found = new Map<string, RelayedMessage>();
    await Promise.all(
      outboundIds.map(async (outboundId) => {
        const item = await this.firstOn(BY_OUTBOUND, outboundId);
        if (item && typeof item.originalMessageId === 'string' && typeof item.aliasId === 'string') {
          found.set(outboundId, { aliasId: item.aliasId, direction: item.direction as Direction, originalMessageId: item.originalMessageId });
        }
      }),
    );
    return found;
  }

  async outboundIdsOf(aliasId: string, originalMessageIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    await Promise.all(
      originalMessageIds.map(async (originalId) => {
        const outbound = (await this.firstOn(BY_ORIGINAL, originalMessageKey(aliasId, originalId)))?.outboundMessageId;
        if (typeof outbound === 'string') found.set(originalId, outbound);
      }),
    );
    return found;
  }

  /** The first record an index holds under `key` (its partition key), if any. */
  private async firstOn(index: { readonly name: string; readonly partitionKey: string }, key: string): Promise<Record<string, unknown> | undefined> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#key = :key',
        ExpressionAttributeNames: { '#key': index.partitionKey },
        ExpressionAttributeValues: { ':key': key },
        Limit: 1,
      }),
    );
    return Items?.[0];
  }
}

/** What `anshin transmissions list` asks for: newest first, at most `limit` that match. */
export interface TransmissionQuery {
  readonly limit: number;
  readonly storeId?: string;
  readonly aliasId?: string;
  /** Only records received at or after this instant. */
  readonly since?: Date;
  readonly outcome?: 'relayed' | 'refused';
  readonly reason?: string;
}

const PAGE = BATCH_GET_LIMIT;

/**
 * Finished transmission records, newest first, for operators: through the by-store or by-alias
 * index when one is named, else through the expiry index day by day (a record's `purgeAt` is its
 * arrival plus the retention, so the index orders by arrival), never by a table scan.
 */
export class DynamoTransmissionReader extends DynamoTable {
  constructor(
    client: ConstructorParameters<typeof DynamoTable>[0],
    tableName: string,
    private readonly retentionDays: number,
  ) {
    super(client, tableName);
  }

  async newest(query: TransmissionQuery): Promise<TransmissionRecord[]> {
    const matches = (item: Record<string, unknown>): boolean =>
      item.state === DELIVERY_STATE.done &&
      typeof item.outcome === 'string' &&
      (query.outcome === undefined || item.outcome === query.outcome) &&
      (query.reason === undefined || item.reason === query.reason) &&
      (query.since === undefined || String(item.receivedAt) >= query.since.toISOString());
    const found: TransmissionRecord[] = [];
    const take = (items: readonly Record<string, unknown>[]): boolean => {
      for (const item of items) {
        if (matches(item)) found.push(item as unknown as TransmissionRecord);
        if (found.length >= query.limit) return true;
      }
      return false;
    };
    if (query.storeId !== undefined || query.aliasId !== undefined) {
      const [index, key, value] = query.storeId !== undefined ? ['byStore', 'storeId', query.storeId] : ['byAlias', 'aliasId', query.aliasId ?? ''];
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index,
            KeyConditionExpression: query.since === undefined ? '#key = :value' : '#key = :value AND receivedAt >= :since',
            ExpressionAttributeNames: { '#key': key },
            ExpressionAttributeValues: { ':value': value, ...(query.since === undefined ? {} : { ':since': query.since.toISOString() }) },
            ScanIndexForward: false,
            Limit: PAGE,
            ...(cursor ? { ExclusiveStartKey: cursor } : {}),
          }),
        );
        if (take(page.Items ?? [])) break;
        cursor = page.LastEvaluatedKey;
      } while (cursor);
      return found;
    }
    // Day by day from the newest possible expiry back to the oldest still kept.
    const now = Date.now();
    const oldest = Math.max(query.since?.getTime() ?? 0, now - this.retentionDays * DAY_MS) + this.retentionDays * DAY_MS;
    for (let day = now + this.retentionDays * DAY_MS + DAY_MS; day >= oldest - DAY_MS; day -= DAY_MS) {
      const keys = (await Promise.all(expiryBucketsOfDay(utcDay(new Date(day))).map((bucket) => this.keysIn(bucket))))
        .flat()
        .filter((entry) => !entry.id.startsWith('rate#') && !entry.id.startsWith('feedback/'))
        .sort((a, b) => b.purgeAt - a.purgeAt);
      for (let i = 0; i < keys.length; i += PAGE) {
        // purgeAt counts seconds: within a page, arrival to the millisecond decides.
        const items = (await this.read(keys.slice(i, i + PAGE).map((entry) => entry.id))).sort((a, b) => String(b.receivedAt).localeCompare(String(a.receivedAt)));
        if (take(items)) return found;
      }
    }
    return found;
  }

  private async keysIn(bucket: string): Promise<{ id: string; purgeAt: number }[]> {
    const keys: { id: string; purgeAt: number }[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: EXPIRY_INDEX.name,
          KeyConditionExpression: '#bucket = :bucket',
          ExpressionAttributeNames: { '#bucket': EXPIRY_INDEX.partitionKey },
          ExpressionAttributeValues: { ':bucket': bucket },
          ...(cursor ? { ExclusiveStartKey: cursor } : {}),
        }),
      );
      for (const item of page.Items ?? []) keys.push({ id: String(item.transmissionId), purgeAt: Number(item.purgeAt) });
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return keys;
  }

  /** The items of those keys, in the keys' order. */
  private async read(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const byId = new Map((await batchGetAll(this.db, this.tableName, ids.map((transmissionId) => ({ transmissionId })))).map((item) => [String(item.transmissionId), item]));
    return ids.flatMap((id) => {
      const item = byId.get(id);
      return item ? [item] : [];
    });
  }
}
