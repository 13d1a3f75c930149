import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isUtcDay } from '../../records/days';
import { CHECKPOINT_KIND, RETENTION_STAGES } from '../ports';
import type { RetentionCheckpoint, RetentionCheckpointStore, RetentionPosition, RetentionStage } from '../ports';
import { EXPIRY_SHARDS } from '../../records/table-schema';
import { DynamoTable } from '../../aws/dynamo-document';

const CHECKPOINT_KEY = { kind: CHECKPOINT_KIND, receiptId: 'retention' } as const;

/**
 * The retention run's checkpoint: one item of the receipts table under its own `kind`, without a
 * `purgeAt`, so neither TTL nor the run's own expiry of old receipts ever removes it, and receipt
 * listings (which query by receipt kind) never show it.
 */
export class DynamoRetentionCheckpoint extends DynamoTable implements RetentionCheckpointStore {
  async load(): Promise<RetentionCheckpoint | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: CHECKPOINT_KEY, ConsistentRead: true }));
    return Item === undefined ? undefined : readCheckpoint(Item);
  }

  async save(checkpoint: RetentionCheckpoint): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...CHECKPOINT_KEY, ...checkpoint } }));
  }
}

/**
 * A checkpoint that does not read back as one (hand-edited, or from an incompatible version) is
 * ignored: the run then looks back as a first run does, which repeats work but skips none.
 */
function readCheckpoint(item: Record<string, unknown>): RetentionCheckpoint | undefined {
  if (!isUtcDay(item.fromDay)) return undefined;
  const unfinished = item.unfinished as { position?: Record<string, unknown>; beganOn?: unknown } | undefined;
  if (unfinished === undefined) return { fromDay: item.fromDay };
  const position = unfinished.position === undefined ? undefined : readPosition(unfinished.position);
  if (position === undefined || !isUtcDay(unfinished.beganOn)) return undefined;
  return { fromDay: item.fromDay, unfinished: { position, beganOn: unfinished.beganOn } };
}

function readPosition(given: Record<string, unknown>): RetentionPosition | undefined {
  const { stage, day, shard, cursor } = given;
  if (!(RETENTION_STAGES as readonly unknown[]).includes(stage)) return undefined;
  if (day !== undefined && !isUtcDay(day)) return undefined;
  if (shard !== undefined && !(typeof shard === 'number' && Number.isInteger(shard) && shard >= 0 && shard < EXPIRY_SHARDS)) return undefined;
  if (cursor !== undefined && typeof cursor !== 'string') return undefined;
  return {
    stage: stage as RetentionStage,
    ...(day === undefined ? {} : { day }),
    ...(shard === undefined ? {} : { shard }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}
