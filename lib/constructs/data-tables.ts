import { AttributeType, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES } from '../../lambdas/records/table-schema';
import type { TableKey, TableSchema } from '../../lambdas/records/table-schema';
import { KEY_ATTRIBUTE_TYPE, TABLE_DEFAULTS } from '../secure-defaults';

export interface DataTablesProps {
  /** Customer-managed key every table is encrypted with. */
  readonly encryptionKey: IKey;
  /** Point-in-time recovery window of every table, in days (the retention policy's `backupDays`). */
  readonly backupDays: number;
}

/** Index names the schema gives a table, so a grant cannot name an index that does not exist. */
export type IndexOf<K extends TableKey> = (typeof TABLES)[K]['indexes'][number]['name'];

/** `aliases` -> `Aliases`: stable construct IDs, hence stable logical IDs. */
function constructId(key: TableKey): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/**
 * One DynamoDB table per entry of {@link TABLES}, built from that shared schema so the deployed
 * tables and the local stack's tables have the same keys, TTL attribute and indexes. Every table is
 * on-demand, encrypted with the customer-managed key, has point-in-time recovery and deletion
 * protection, and is retained when the stack is deleted.
 */
export class DataTables extends Construct {
  readonly tables: Readonly<Record<TableKey, Table>>;

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    const entries = (Object.keys(TABLES) as TableKey[]).map((key) => [key, this.createTable(key, TABLES[key], props)] as const);
    this.tables = Object.fromEntries(entries) as Record<TableKey, Table>;
  }

  get aliases(): Table {
    return this.tables.aliases;
  }

  get stores(): Table {
    return this.tables.stores;
  }

  get transmissions(): Table {
    return this.tables.transmissions;
  }

  get access(): Table {
    return this.tables.access;
  }

  get receipts(): Table {
    return this.tables.receipts;
  }

  private createTable(key: TableKey, schema: TableSchema, props: DataTablesProps): Table {
    const table = new Table(this, constructId(key), {
      ...TABLE_DEFAULTS,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: props.backupDays },
      partitionKey: { name: schema.partitionKey, type: KEY_ATTRIBUTE_TYPE },
      ...(schema.sortKey === undefined ? {} : { sortKey: { name: schema.sortKey, type: KEY_ATTRIBUTE_TYPE } }),
      ...(schema.ttlAttribute === undefined ? {} : { timeToLiveAttribute: schema.ttlAttribute }),
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
    });
    for (const index of schema.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: KEY_ATTRIBUTE_TYPE },
        ...(index.sortKey === undefined
          ? {}
          : { sortKey: { name: index.sortKey, type: index.sortKeyType === 'number' ? AttributeType.NUMBER : KEY_ATTRIBUTE_TYPE } }),
        projectionType: index.projection === 'keys' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
      });
    }
    return table;
  }
}
