import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { BATCH_GET_LIMIT, batchGetAll, documentClient } from '../../aws/dynamo-document';
import { daysFromThrough, utcDay } from '../../records/days';
import { DAY_SECONDS } from '../../records/retention-policy';
import { EXPIRY_INDEX, expiryBucketsOfDay } from '../../records/table-schema';
import type { DayRecordSource } from '../ports';
import type { ExportRecord } from '../rows';

const FEEDBACK_PREFIX = 'feedback/';
const PARALLEL_BATCHES = 8;
/** Only what a row is made of: the addresses' hashes, message IDs and outbound IDs are never read. */
const ATTRIBUTES = [
  'transmissionId',
  'receivedAt',
  'storeId',
  'aliasId',
  'direction',
  'outcome',
  'reason',
  'verdicts',
  'sizeBytes',
  'connectingIp',
  'kind',
  'bounceType',
  'complaintFeedbackType',
  'state',
];

/**
 * A day's records through the expiry index, which every transmission and feedback record is in:
 * a record's `purgeAt` is its receipt time plus the transmission retention, so the day's records
 * are the index entries of the matching `purgeAt` range, on one or two UTC expiry days and their
 * shards. The index holds keys only; the records are then read in batches. Nothing scans the table.
 * A record whose `purgeAt` was brought forward (its store terminated) is not found: it is about to
 * be erased anyway.
 */
export class DynamoDayRecords implements DayRecordSource {
  private readonly db;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly transmissionRetentionDays: number,
  ) {
    this.db = documentClient(client);
  }

  async recordsReceived(from: Date, to: Date): Promise<ExportRecord[]> {
    const shift = this.transmissionRetentionDays * DAY_SECONDS;
    const low = Math.floor(from.getTime() / 1000) + shift;
    const high = Math.floor(to.getTime() / 1000) + shift - 1;
    const buckets = daysFromThrough(utcDay(new Date(low * 1000)), utcDay(new Date(high * 1000))).flatMap(expiryBucketsOfDay);
    const ids = (await Promise.all(buckets.map((bucket) => this.idsIn(bucket, low, high)))).flat();
    const items = await this.read(ids);
    const fromIso = from.toISOString();
    const toIso = to.toISOString();
    return items.filter((item) => String(item.receivedAt) >= fromIso && String(item.receivedAt) < toIso).flatMap((item) => toExportRecord(item));
  }

  private async idsIn(bucket: string, low: number, high: number): Promise<string[]> {
    const ids: string[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        IndexName: EXPIRY_INDEX.name,
        KeyConditionExpression: '#bucket = :bucket AND #purge BETWEEN :low AND :high',
        ExpressionAttributeNames: { '#bucket': EXPIRY_INDEX.partitionKey, '#purge': EXPIRY_INDEX.sortKey },
        ExpressionAttributeValues: { ':bucket': bucket, ':low': low, ':high': high },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const id = String(item.transmissionId);
        // Rate counters share the table; their keys start with `rate#` and are no records.
        if (!id.startsWith('rate#')) ids.push(id);
      }
    }
    return ids;
  }

  private async read(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) batches.push(ids.slice(i, i + BATCH_GET_LIMIT));
    const items: Record<string, unknown>[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++] ?? [];
        items.push(...(await this.batchGet(batch)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, worker));
    return items;
  }

  private batchGet(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    return batchGetAll(this.db, this.table, ids.map((transmissionId) => ({ transmissionId })), ATTRIBUTES);
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function toExportRecord(item: Record<string, unknown>): ExportRecord[] {
  const feedback = String(item.transmissionId).startsWith(FEEDBACK_PREFIX);
  // A delivery still being handled, or dead-lettered, has no outcome yet: it is not a record.
  if (!feedback && text(item.outcome) === undefined) return [];
  const verdicts = typeof item.verdicts === 'object' && item.verdicts !== null ? (item.verdicts as Record<string, unknown>) : undefined;
  const optional = {
    storeId: text(item.storeId),
    aliasId: text(item.aliasId),
    outcome: feedback ? undefined : text(item.outcome),
    reason: text(item.reason),
    feedback: feedback ? (text(item.bounceType) ?? text(item.complaintFeedbackType)) : undefined,
    verdicts: verdicts && {
      spf: text(verdicts.spf),
      dkim: text(verdicts.dkim),
      dmarc: text(verdicts.dmarc),
      spam: text(verdicts.spam),
      virus: text(verdicts.virus),
    },
    sizeBytes: typeof item.sizeBytes === 'number' ? item.sizeBytes : undefined,
    connectingIp: text(item.connectingIp),
  };
  return [
    {
      kind: feedback ? (item.kind === 'complaint' ? 'complaint' : 'bounce') : 'delivery',
      receivedAt: String(item.receivedAt),
      direction: text(item.direction) ?? 'unknown',
      ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    },
  ];
}
