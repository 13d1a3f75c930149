import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTable, expiryIndexAttributes, isConditionFailure } from '../../aws/dynamo-document';
import { OVER_LIMIT_ATTRIBUTE, rateCounterKey } from '../../records/table-schema';
import { fullWindow } from '../rate-limits';
import type { FullCounter, RateCounter, RateLimiter } from '../rate-limits';

/** A counter outlives its day by this long, then TTL (or the retention run) removes it. */
const KEPT_AFTER_DAY_SECONDS = 3_600;

const DAY_COUNT = 'dayCount';

const minuteAttribute = (counter: RateCounter): string => `m${counter.minute.replace(':', '')}`;

/**
 * Rate-limit windows as counter items in the transmissions table, one per subject and day, holding
 * the day's count and one count per minute: a single conditional update takes from both windows
 * only while both are below their limits, so concurrent relays never let more through than a limit
 * (a transaction over several items would fail on every concurrent message instead). A message
 * stopped by a later counter gives back what it took from the earlier ones. A full counter counts
 * the message that found it full (`overLimit`), which the abuse signals read.
 */
export class DynamoRateLimiter extends DynamoTable implements RateLimiter {
  async take(counters: readonly RateCounter[]): Promise<readonly FullCounter[]> {
    const taken: RateCounter[] = [];
    for (const counter of counters) {
      const full = await this.takeOne(counter);
      if (full) {
        await Promise.all(taken.map((earlier) => this.giveBack(earlier)));
        return [full];
      }
      taken.push(counter);
    }
    return [];
  }

  private key(counter: RateCounter): { transmissionId: string } {
    return rateCounterKey(counter.subject, counter.day);
  }

  private async takeOne(counter: RateCounter): Promise<FullCounter | undefined> {
    const key = this.key(counter);
    const purgeAt = Math.floor(counter.dayEnd.getTime() / 1000) + KEPT_AFTER_DAY_SECONDS;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'ADD #day :one, #minute :one SET purgeAt = :purgeAt, expiryBucket = :bucket',
          ConditionExpression: '(attribute_not_exists(#day) OR #day < :dayLimit) AND (attribute_not_exists(#minute) OR #minute < :minuteLimit)',
          ExpressionAttributeNames: { '#day': DAY_COUNT, '#minute': minuteAttribute(counter) },
          ExpressionAttributeValues: {
            ':one': 1,
            ':dayLimit': counter.limit.perDay,
            ':minuteLimit': counter.limit.perMinute,
            ':purgeAt': purgeAt,
            ':bucket': expiryIndexAttributes(purgeAt, key.transmissionId).expiryBucket,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The item as it was, in DynamoDB's own attribute-value form: the error is not unmarshalled.
      const item = (error as { Item?: Record<string, { N?: string } | undefined> }).Item ?? {};
      const counts = { day: Number(item[DAY_COUNT]?.N ?? 0), minute: Number(item[minuteAttribute(counter)]?.N ?? 0) };
      await this.db.send(
        new UpdateCommand({ TableName: this.tableName, Key: key, UpdateExpression: 'ADD #over :one', ExpressionAttributeNames: { '#over': OVER_LIMIT_ATTRIBUTE }, ExpressionAttributeValues: { ':one': 1 } }),
      );
      return { counter, window: fullWindow(counter, counts) ?? 'minute' };
    }
  }

  private async giveBack(counter: RateCounter): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(counter),
        UpdateExpression: 'ADD #day :minusOne, #minute :minusOne',
        ConditionExpression: 'attribute_exists(#day)',
        ExpressionAttributeNames: { '#day': DAY_COUNT, '#minute': minuteAttribute(counter) },
        ExpressionAttributeValues: { ':minusOne': -1 },
      }),
    ).catch((error: unknown) => {
      // Gone meanwhile: nothing to give back.
      if (!isConditionFailure(error)) throw error;
    });
  }
}
