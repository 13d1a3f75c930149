import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnTrail} from 'aws-cdk-lib/aws-cloudtrail';
import { Trail } from 'aws-cdk-lib/aws-cloudtrail';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RAW_MAIL_PREFIX } from '../secure-defaults';

export interface AuditTrailProps {
  /** Encrypts the trail's log files. */
  readonly key: IKey;
  /** Tables whose item reads and writes are recorded. */
  readonly tables: readonly ITable[];
  /** The raw-mail bucket: object reads and writes below `inbound/` are recorded. */
  readonly rawMailBucket: IBucket;
  /** Where the trail bucket's own access logs go. */
  readonly accessLogBucket: IBucket;
  /** Days the log files are kept: the evidence class's retention. */
  readonly retentionDays: number;
}

/**
 * The answer to "who read personal data": a CloudTrail trail in the home region only, its log files
 * encrypted and digest-signed (log-file validation), recording every management event (KMS Decrypt
 * and GenerateMac of the keys included) and the data events of the tables and the raw mail; the log
 * files are kept as long as the policy keeps evidence.
 */
export class AuditTrail extends Construct {
  readonly trail: Trail;
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'audit-trail/',
      lifecycleRules: [
        { id: 'expire-audit-logs', expiration: Duration.days(props.retentionDays), noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const trailName = `${stack.stackName}-audit`;
    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    // CloudTrail encrypts the log files itself, for this trail only.
    props.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudTrailLogFilesOfAuditTrail',
        principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn } },
      }),
    );
    this.trail = new Trail(this, 'Trail', {
      trailName,
      bucket: this.bucket,
      encryptionKey: props.key,
      enableFileValidation: true,
      // Home region only: a multi-region trail would record (and so copy) events of every region here,
      // and global-service events are written in us-east-1.
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      sendToCloudWatchLogs: false,
    });
    // Advanced selectors: basic ones cannot name DynamoDB tables. They replace the management-event
    // default, so management events are selected again explicitly.
    const trail = this.trail.node.defaultChild as CfnTrail;
    trail.advancedEventSelectors = [
      { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
      {
        name: 'Items of the tables',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', equalTo: props.tables.map((table) => table.tableArn) },
        ],
      },
      {
        name: 'Raw mail',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: [props.rawMailBucket.arnForObjects(RAW_MAIL_PREFIX)] },
        ],
      },
    ];
  }
}
