import type { SubjectAccessRecords } from '../../destruction/ports';
import { TABLES } from '../../records/table-schema';
import { DynamoSubjectTable } from '../../aws/dynamo-subject-table';
import type { ItemKey } from '../../aws/dynamo-subject-table';

/** The access table as destruction and termination see it: a store's partition, deletion, re-dating. */
export class DynamoSubjectAccessRecords extends DynamoSubjectTable implements SubjectAccessRecords {
  protected readonly partitionKey = TABLES.access.partitionKey;

  protected itemKeyOf(key: ItemKey): string {
    return `${key.storeId}/${key.accessId}`;
  }

  async idsOfStore(storeId: string): Promise<string[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#store = :store',
      ConsistentRead: true,
      ProjectionExpression: '#id',
      ExpressionAttributeNames: { '#store': 'storeId', '#id': 'accessId' },
      ExpressionAttributeValues: { ':store': storeId },
    });
    return items.map((item) => String(item.accessId));
  }

  async remove(storeId: string, accessId: string): Promise<boolean> {
    return this.removeItem({ storeId, accessId });
  }

  async bringForward(storeId: string, accessId: string, purgeAt: number): Promise<boolean> {
    return this.bringPurgeAtForward({ storeId, accessId }, purgeAt);
  }
}
