import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BounceBudget } from '../ports';
import { DynamoTable, expiryIndexAttributes, conditionHeld } from '../../aws/dynamo-document';

/** Prefix of the counter items in the transmissions table, apart from `<sesMessageId>/<index>` records. */
const BOUNCE_BUDGET_PREFIX = 'dsn-budget#';

/** A counter outlives its window by this long, so a late DSN of the window still finds it. */
const KEPT_AFTER_WINDOW_SECONDS = 3_600;

/**
 * DSN allowances as atomic counters in the transmissions table, one item per keyed hash of
 * (envelope sender, window): a conditional ADD takes one only while the count is below the limit,
 * so concurrent relays never give out more than the limit. The item names no address (the key is
 * a per-window MAC) and goes by TTL an hour after its window.
 */
export class DynamoBounceBudget extends DynamoTable implements BounceBudget {
  async take(key: string, windowEnd: Date, limit: number): Promise<boolean> {
    const transmissionId = `${BOUNCE_BUDGET_PREFIX}${key}`;
    const purgeAt = Math.floor(windowEnd.getTime() / 1000) + KEPT_AFTER_WINDOW_SECONDS;
    const expiry = expiryIndexAttributes(purgeAt, transmissionId);
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { transmissionId },
          UpdateExpression: 'ADD #taken :one SET purgeAt = :purgeAt, expiryBucket = :bucket',
          ConditionExpression: 'attribute_not_exists(#taken) OR #taken < :limit',
          ExpressionAttributeNames: { '#taken': 'dsnTaken' },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':purgeAt': purgeAt, ':bucket': expiry.expiryBucket },
        }),
      ),
    );
  }
}
