import type { SubjectRateCounters, SubjectRecord, SubjectTransmissions } from '../../destruction/ports';
import { rateCounterKey, TABLES } from '../../records/table-schema';
import { DynamoSubjectTable } from '../../aws/dynamo-subject-table';
import type { ItemKey } from '../../aws/dynamo-subject-table';

const [BY_ALIAS] = TABLES.transmissions.indexes;

/** Bounce and complaint records (`feedbackRecordId`) name the outbound mail, of which no raw copy is kept. */
const FEEDBACK_RECORD_PREFIX = 'feedback/';

function counterKeys(subjects: readonly string[], days: readonly string[]): { transmissionId: string }[] {
  return subjects.flatMap((subject) => days.map((day) => rateCounterKey(subject, day)));
}

/** The transmissions table as destruction and termination see it: records by alias, deletion, re-dating. */
export class DynamoSubjectTransmissions extends DynamoSubjectTable implements SubjectTransmissions, SubjectRateCounters {
  async removeCounters(subjects: readonly string[], days: readonly string[]): Promise<number> {
    const removed = await Promise.all(counterKeys(subjects, days).map((key) => this.removeItem(key)));
    return removed.filter(Boolean).length;
  }

  async storedCounters(subjects: readonly string[], days: readonly string[]): Promise<number> {
    return (await this.existing(counterKeys(subjects, days))).length;
  }

  protected readonly partitionKey = TABLES.transmissions.partitionKey;

  protected itemKeyOf(key: ItemKey): string {
    return key.transmissionId ?? '';
  }

  async ofAlias(aliasId: string): Promise<SubjectRecord[]> {
    const items = await this.queryAll({
      IndexName: BY_ALIAS.name,
      KeyConditionExpression: '#alias = :alias',
      ProjectionExpression: '#id, #message',
      ExpressionAttributeNames: { '#alias': BY_ALIAS.partitionKey, '#id': 'transmissionId', '#message': 'sesMessageId' },
      ExpressionAttributeValues: { ':alias': aliasId },
    });
    return items.map((item) => {
      const transmissionId = String(item.transmissionId);
      const inbound = !transmissionId.startsWith(FEEDBACK_RECORD_PREFIX) && typeof item.sesMessageId === 'string';
      return { transmissionId, ...(inbound ? { inboundMessageId: String(item.sesMessageId) } : {}) };
    });
  }

  async stored(transmissionIds: readonly string[]): Promise<string[]> {
    return (await this.existing(transmissionIds.map((transmissionId) => ({ transmissionId })))).map((item) => String(item.transmissionId));
  }

  async remove(transmissionId: string): Promise<boolean> {
    return this.removeItem({ transmissionId });
  }

  async bringForward(transmissionId: string, purgeAt: number): Promise<boolean> {
    return this.bringPurgeAtForward({ transmissionId }, purgeAt);
  }
}
