import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ANALYSIS_COLUMNS, DAY_PARTITION, INVESTIGATION_PARTITION } from '../../lambdas/analysis/columns';
import { ANALYSIS_ENV } from '../../lambdas/env';
import type { RelayConfig } from '../config';
import { HOME_REGION } from '../config';
import { ANALYSIS_EXPORT_TIME, ANALYSIS_FUNCTION_DEFAULTS, ATHENA_BYTES_SCANNED_CUTOFF, ATHENA_RESULT_DAYS, encryptedBucketDefaults, queueRetention } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import type { DataKeys } from './data-keys';
import type { DataTables, IndexOf } from './data-tables';
import { createFailureQueue } from './encrypted-messaging';
import { STORE_RATE_COUNTERS } from './fraud-signals';
import { scheduledRun } from './scheduled-run';

export interface AnalysisExportProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  /** Where the bucket's server access logs go. */
  readonly accessLogBucket: IBucket;
  /** @default lambdas/analysis/handler.ts */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/analysis/handler.ts', import.meta.url));

/** Prefixes of the analysis bucket. */
const ANALYSIS_PREFIXES = { records: 'records/', investigations: 'investigations/', manifests: 'manifests/', queryResults: 'query-results/' } as const;

/**
 * The pseudonymised analysis export: a daily function writes the day before's records as Parquet
 * to the analysis bucket (SSE-KMS, TLS only, expired by the `analysis` retention class), a Glue
 * table per layout describes the files with partition projection, and an Athena workgroup whose
 * settings are enforced keeps query results encrypted in the same bucket. Analysts get the
 * `analystPolicy` and nothing else.
 */
export class AnalysisExport extends Construct {
  readonly bucket: Bucket;
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;
  readonly failures: Queue;
  readonly schedule: Schedule;
  readonly database: CfnDatabase;
  readonly recordsTable: CfnTable;
  readonly investigationsTable: CfnTable;
  readonly workGroup: CfnWorkGroup;
  /** What an analyst needs to query the export with Athena: attach it to their role. */
  readonly analystPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: AnalysisExportProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    const stack = Stack.of(this);
    const retentionDays = config.retention.classes.analysis.retentionDays;

    this.bucket = new Bucket(this, 'Bucket', {
      ...encryptedBucketDefaults(keys.dataKey),
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'analysis-bucket/',
      // Unversioned: a replaced or expired export is gone, with no noncurrent copy to outlive the policy.
      lifecycleRules: [
        { id: 'expire-analysis', expiration: Duration.days(retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-query-results', prefix: ANALYSIS_PREFIXES.queryResults, expiration: Duration.days(Math.min(ATHENA_RESULT_DAYS, retentionDays)) },
      ],
    });

    this.anshinFunction = new AnshinFunction(this, 'Export', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: "Exports the day before's transmission and feedback records, pseudonymised, as Parquet for analysis",
      serviceName: 'anshin-analysis',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      memorySize: ANALYSIS_FUNCTION_DEFAULTS.memorySize,
      timeout: ANALYSIS_FUNCTION_DEFAULTS.timeout,
    });
    this.function = this.anshinFunction.function;
    this.anshinFunction
      // The day's records through the expiry index, read by key; the signals read as the signals function does.
      .bindTable(ANALYSIS_ENV.transmissionsTable, tables.transmissions, { actions: ['dynamodb:BatchGetItem'], indexes: ['byExpiry', 'byStore'] satisfies IndexOf<'transmissions'>[] })
      .readOnlyUnder(tables.transmissions, ['dynamodb:GetItem'], [STORE_RATE_COUNTERS])
      .bindTable(ANALYSIS_ENV.storesTable, tables.stores, { actions: ['dynamodb:Scan'] })
      .bindTable(ANALYSIS_ENV.accessTable, tables.access, { actions: ['dynamodb:Query'] })
      .useKeyThrough(keys.dataKey, ['kms:Decrypt'], ['dynamodb'])
      .useKeyThrough(keys.dataKey, ['kms:GenerateDataKey'], ['s3'])
      .bindKey(ANALYSIS_ENV.pseudonymKeyId, keys.pseudonymKey, ['kms:GenerateMac'])
      .setEnvironment(ANALYSIS_ENV.analysisBucket, this.bucket.bucketName)
      .setEnvironment(ANALYSIS_ENV.transmissionRetentionDays, String(config.retention.classes.transmission.retentionDays))
      .setEnvironment(ANALYSIS_ENV.thresholds, JSON.stringify(config.fraud));
    // Writes only, and only the export's own prefixes: the function reads nothing back.
    this.anshinFunction.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [ANALYSIS_PREFIXES.records, ANALYSIS_PREFIXES.investigations, ANALYSIS_PREFIXES.manifests].map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );

    this.failures = createFailureQueue(this, 'Failures', {
      key: keys.dataKey,
      retentionPeriod: queueRetention(config.retention.classes.content.retentionDays),
      holds: 'scheduled analysis exports that could not be started and exports that kept failing',
    });
    this.anshinFunction.sendAsyncFailuresTo(this.failures);
    this.schedule = scheduledRun(this, {
      target: this.function,
      what: 'anshin-analysis',
      description: `Pseudonymised analysis export of the day before, daily at ${ANALYSIS_EXPORT_TIME.hour.padStart(2, '0')}:${ANALYSIS_EXPORT_TIME.minute} Asia/Tokyo`,
      cron: { ...ANALYSIS_EXPORT_TIME, day: '*' },
      input: {},
      failures: this.failures,
      queueKey: keys.dataKey,
    }).schedule;

    const databaseName = `${stack.stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_analysis`;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: databaseName, description: 'anshin-relay: pseudonymised analysis export (no address, alias or store ID)' },
    });
    const table = (tableId: string, name: string, prefix: string, partitions: readonly { name: string; type: string; comment: string; projection: Record<string, string> }[], description: string): CfnTable => {
      const location = `s3://${this.bucket.bucketName}/${prefix}`;
      const template = `${location}${partitions.map((partition) => `${partition.name}=\${${partition.name}}`).join('/')}/`;
      const cfnTable = new CfnTable(this, tableId, {
        catalogId: stack.account,
        databaseName,
        tableInput: {
          name,
          description,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'parquet',
            'parquet.compression': 'SNAPPY',
            'projection.enabled': 'true',
            'storage.location.template': template,
            ...Object.fromEntries(partitions.flatMap((partition) => Object.entries(partition.projection).map(([key, value]) => [`projection.${partition.name}.${key}`, value]))),
          },
          partitionKeys: partitions.map((partition) => ({ name: partition.name, type: partition.type, comment: partition.comment })),
          storageDescriptor: {
            location,
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
            columns: ANALYSIS_COLUMNS.map((column) => ({ name: column.name, type: column.type, comment: column.comment })),
          },
        },
      });
      cfnTable.addResourceDependency(this.database);
      return cfnTable;
    };
    const dayPartition = {
      name: DAY_PARTITION,
      type: 'date',
      comment: 'the day the records were made, Japan time',
      // Only days the bucket can still hold are projected.
      projection: { type: 'date', format: 'yyyy-MM-dd', range: `NOW-${retentionDays}DAYS,NOW`, interval: '1', 'interval.unit': 'DAYS' },
    };
    this.recordsTable = table('RecordsTable', 'records', ANALYSIS_PREFIXES.records, [dayPartition], 'Daily exports, each under a key of its own: pseudonyms do not join across days');
    this.investigationsTable = table(
      'InvestigationsTable',
      'investigation_records',
      ANALYSIS_PREFIXES.investigations,
      [{ name: INVESTIGATION_PARTITION, type: 'string', comment: 'the investigation ID; queries must name it', projection: { type: 'injected' } }, dayPartition],
      "Exports under a named investigation's key: its pseudonyms join across its days",
    );

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `${stack.stackName}-analysis`,
      description: 'anshin-relay: SQL over the pseudonymised analysis export; results encrypted in the analysis bucket',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        // Clients cannot send results elsewhere or unencrypted.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: ATHENA_BYTES_SCANNED_CUTOFF,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${ANALYSIS_PREFIXES.queryResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: keys.dataKey.keyArn },
          expectedBucketOwner: stack.account,
        },
      },
    });

    const workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.name });
    const glueArn = (resource: string, resourceName?: string): string => stack.formatArn({ service: 'glue', resource, ...(resourceName === undefined ? {} : { resourceName }) });
    this.analystPolicy = new ManagedPolicy(this, 'AnalystPolicy', {
      description: 'anshin-relay: query the pseudonymised analysis export with Athena, in its workgroup only',
      statements: [
        new PolicyStatement({
          actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup', 'athena:ListQueryExecutions'],
          resources: [workGroupArn],
        }),
        new PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [glueArn('catalog'), glueArn('database', databaseName), glueArn('table', `${databaseName}/*`)],
        }),
        new PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [this.bucket.bucketArn] }),
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [ANALYSIS_PREFIXES.records, ANALYSIS_PREFIXES.investigations, ANALYSIS_PREFIXES.queryResults].map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
        }),
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [this.bucket.arnForObjects(`${ANALYSIS_PREFIXES.queryResults}*`)],
        }),
        new PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [keys.dataKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${HOME_REGION}.amazonaws.com` } },
        }),
      ],
    });
    this.acknowledgeFindings(databaseName);
  }

  private acknowledgeFindings(databaseName: string): void {
    const bucketLogicalId = String(Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId));
    const objects = (prefix: string): string => `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`;
    const exportPolicy = this.anshinFunction.role.node.tryFindChild('DefaultPolicy');
    if (exportPolicy !== undefined) {
      Validations.of(exportPolicy).acknowledge(
        ...[ANALYSIS_PREFIXES.records, ANALYSIS_PREFIXES.investigations, ANALYSIS_PREFIXES.manifests].map((prefix) => ({
          id: objects(prefix),
          reason: `Export objects are named by day and export ID; s3:PutObject is limited to ${prefix}, and nothing may be read back.`,
        })),
      );
    }
    Validations.of(this.analystPolicy).acknowledge(
      ...[ANALYSIS_PREFIXES.records, ANALYSIS_PREFIXES.investigations, ANALYSIS_PREFIXES.queryResults].map((prefix) => ({
        id: objects(prefix),
        reason: `Athena reads every day's object under ${prefix}; the objects are pseudonymised exports or query results, nothing else.`,
      })),
      {
        id: `AwsSolutions-IAM5[Resource::arn:aws:glue:${HOME_REGION}:<AWS::AccountId>:table/${databaseName}/*]`,
        reason: "Athena reads the tables of the analysis database only; its tables are the export's two layouts.",
      },
    );
  }
}
