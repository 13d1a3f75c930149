import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import type { ReceiptRule } from 'aws-cdk-lib/aws-ses';
import { S3 as S3Action, Stop as StopAction } from 'aws-cdk-lib/aws-ses-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { ConfigError } from '../config';
import { allowSesThrough, subscribeQueue } from './encrypted-messaging';
import { encryptedBucketDefaults, QUEUE_DEFAULTS, RAW_MAIL_PREFIX, logRetention, onlyHomeQueueSubscriptions, queueRetention } from '../secure-defaults';

export interface MailIngressProps {
  /** Domain SES receives mail for; every address at it is handed to the relay. */
  readonly relayDomain: string;
  /** Customer-managed key for the bucket, topic, queues and log groups. */
  readonly dataKey: IKey;
  /** Days raw mail is kept in the bucket. */
  readonly rawMailDays: number;
  /** Days a superseded or expired raw-mail version survives: kept short, it is a copy of user content. */
  readonly noncurrentRawMailDays: number;
  /** Days S3 server access logs and the activation function's logs are kept. */
  readonly logDays: number;
  /** Timeout of the function consuming the queue; the visibility timeout is derived from it. */
  readonly consumerTimeout: Duration;
  /** Whether a custom resource makes the receipt rule set the account's active one. */
  readonly activateReceiptRuleSet: boolean;
  /**
   * Name of the receipt rule set; unique per account and region.
   * @default `${stackName}-inbound`
   */
  readonly receiptRuleSetName?: string;
}

/** Construct ID of the singleton function behind every `AwsCustomResource` of a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** The one receipt rule of the set, named so policies can name it before it exists. */
const RECEIPT_RULE_NAME = 'relay-domain';

/** SES rule set and rule names: letters, digits, `.`, `_`, `-`, at most 64, starting and ending alphanumeric. */
const SES_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/**
 * Everything between the relay domain's MX record and the relay function: SES receives mail for the
 * relay domain, stores the raw message in S3 (default SSE-KMS) and publishes the receipt to an SNS
 * topic, which feeds an SQS queue with a dead-letter queue. Every store is encrypted with the
 * customer-managed key and reachable over TLS only.
 */
export class MailIngress extends Construct {
  readonly bucket: Bucket;
  readonly accessLogBucket: Bucket;
  readonly topic: Topic;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly ruleSet: ReceiptRuleSet;
  readonly rule: ReceiptRule;
  readonly receiptRuleSetName: string;
  /** Visibility timeout of {@link queue}; a consumer's timeout must fit six times into it. */
  readonly queueVisibilityTimeout: Duration;
  /** Present only when the rule set is activated by this stack. */
  readonly activation?: AwsCustomResource;

  constructor(scope: Construct, id: string, props: MailIngressProps) {
    super(scope, id);
    // Log delivery is granted by bucket policy rather than the LogDeliveryWrite ACL, whatever the
    // app's feature flags: ACLs stay disabled on both buckets.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const stack = Stack.of(this);
    this.receiptRuleSetName = props.receiptRuleSetName ?? `${stack.stackName}-inbound`;
    if (!Token.isUnresolved(this.receiptRuleSetName) && !SES_NAME.test(this.receiptRuleSetName)) {
      throw new ConfigError(`receipt rule set name ${JSON.stringify(this.receiptRuleSetName)} is not a valid SES name`);
    }
    // A receipt notification is only replayable while its raw mail exists, and it names envelope
    // addresses: neither queue keeps it longer than the raw mail.
    const retention = queueRetention(props.rawMailDays);
    const receiptRuleArn = stack.formatArn({
      service: 'ses',
      resource: 'receipt-rule-set',
      resourceName: `${this.receiptRuleSetName}:receipt-rule/${RECEIPT_RULE_NAME}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    // S3 server access logs cannot be delivered to a bucket whose default encryption is SSE-KMS, so
    // the log bucket uses SSE-S3. The logs hold object keys (SES message IDs), requesters and
    // times; no addresses or message content.
    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.logDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server access log target of the inbound bucket; logging it into itself (or a third bucket) would only log the log deliveries.',
    });

    this.bucket = new Bucket(this, 'Inbound', {
      ...encryptedBucketDefaults(props.dataKey),
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'inbound-bucket/',
      // With versioning, expiry turns the current version into a noncurrent one; that copy is kept
      // noncurrentRawMailDays more. The retention run removes every version permanently once raw
      // mail is due; this rule is the backstop should a run not happen.
      lifecycleRules: [
        {
          id: 'expire-raw-mail',
          prefix: RAW_MAIL_PREFIX,
          expiration: Duration.days(props.rawMailDays),
          noncurrentVersionExpiration: Duration.days(props.noncurrentRawMailDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // S3 rejects a rule that combines expiry days with removing expired delete markers.
        { id: 'remove-expired-delete-markers', prefix: RAW_MAIL_PREFIX, expiredObjectDeleteMarker: true },
      ],
    });

    // The S3 receipt action allows SES writes from any receipt rule of the account; only this
    // stack's rule may write raw mail here.
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenySesWritesFromOtherReceiptRules',
        effect: Effect.DENY,
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:SourceArn': receiptRuleArn } },
      }),
    );

    // Named, so the key policy can name the topic by ARN: a reference to the topic would make the
    // key depend on the topic the key encrypts.
    const topicName = `${stack.stackName}-receipts`;
    const topicArn = stack.formatArn({ service: 'sns', resource: topicName });
    this.topic = new Topic(this, 'Receipts', {
      topicName,
      displayName: 'anshin-relay inbound mail receipts',
      masterKey: props.dataKey,
      enforceSSL: true,
    });
    // The topic policy written for `enforceSSL` replaces SNS's default policy, so SES is allowed
    // explicitly, and only for this account's receipt rule.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSesReceiptRule',
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': receiptRuleArn } },
      }),
    );

    onlyHomeQueueSubscriptions(this.topic);

    // SES writes to the bucket and publishes to the topic through S3 and SNS, which use the key on
    // SES's behalf.
    allowSesThrough(props.dataKey, 's3');
    allowSesThrough(props.dataKey, 'sns');

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      enforceSSL: true,
      retentionPeriod: retention,
    });
    const deadLetterReason =
      'This is the dead-letter queue of the relay queue and of the topic subscription; a dead-letter queue of its own would only move the same notifications again.';
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: deadLetterReason }, { id: 'Serverless-SQSRedrivePolicy', reason: deadLetterReason });

    this.queueVisibilityTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * QUEUE_DEFAULTS.visibilityTimeoutFactor);
    this.queue = new Queue(this, 'Relay', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      enforceSSL: true,
      retentionPeriod: retention,
      visibilityTimeout: this.queueVisibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount },
    });
    // Deliveries SNS cannot make land in the same dead-letter queue, so there is one place to
    // inspect and replay.
    subscribeQueue(this, 'RelayQueueSubscription', {
      topic: this.topic,
      topicArn,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      key: props.dataKey,
      keyPolicySid: 'AllowSnsDeliveryFromReceiptsTopic',
    });

    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: this.receiptRuleSetName });
    this.rule = this.ruleSet.addRule('RelayDomain', {
      receiptRuleName: RECEIPT_RULE_NAME,
      recipients: [props.relayDomain],
      enabled: true,
      // Spam and virus verdicts are part of the notification; the relay refuses on them.
      scanEnabled: true,
      // Mail carries personal data: SES rejects a message whose sending server does not use TLS.
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [
        // No `kmsKey` here: that option is SES client-side encryption, which only the S3 Encryption
        // Client can read. The bucket's default SSE-KMS encrypts the object with the same key instead.
        new S3Action({ bucket: this.bucket, objectKeyPrefix: RAW_MAIL_PREFIX, topic: this.topic }),
        // Last, so no rule after this one in the set handles the same message a second time.
        new StopAction(),
      ],
    });
    // SES checks at creation that it can publish to the topic and use the key.
    this.rule.node.addDependency(this.topic, props.dataKey);

    if (props.activateReceiptRuleSet) {
      this.activation = this.activateRuleSet(props);
    }
  }

  /**
   * The custom resource runs on the CDK's singleton provider function, whose runtime settings the
   * CDK owns; what this construct can set (role, memory, log group) it sets.
   */
  private acknowledgeProviderFindings(): void {
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider === undefined) return;
    Validations.of(provider).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'CDK custom-resource provider: CloudFormation waits for its response, so a failed call fails the deployment instead of being lost.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'CDK custom-resource provider making one SES call per deployment; the CDK offers no tracing option for it.',
      },
    );
  }

  /**
   * CloudFormation creates receipt rule sets inactive and only one set per account and region can be
   * active, so a custom resource activates this one, and deactivates it when the stack is deleted.
   */
  private activateRuleSet(props: MailIngressProps): AwsCustomResource {
    const activate = {
      service: 'SES',
      action: 'SetActiveReceiptRuleSet',
      parameters: { RuleSetName: this.receiptRuleSetName },
      physicalResourceId: PhysicalResourceId.of(this.receiptRuleSetName),
    };
    const logGroup = new LogGroup(this, 'ActivateRuleSetLogs', {
      encryptionKey: props.dataKey,
      retention: logRetention(props.logDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A role of its own instead of the provider's default, which carries AWSLambdaBasicExecutionRole
    // (write access to every log group of the account).
    const role = new Role(this, 'ActivateRuleSetRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    const activation = new AwsCustomResource(this, 'ActivateRuleSet', {
      onCreate: activate,
      onUpdate: activate,
      // Without a name SES deactivates whichever set is active; on stack deletion that is ours.
      onDelete: { service: 'SES', action: 'SetActiveReceiptRuleSet', parameters: {} },
      // SetActiveReceiptRuleSet has no resource-level permissions.
      policy: AwsCustomResourcePolicy.fromStatements([new PolicyStatement({ actions: ['ses:SetActiveReceiptRuleSet'], resources: ['*'] })]),
      role,
      installLatestAwsSdk: false,
      memorySize: 256,
      logGroup,
    });
    activation.node.addDependency(this.rule);
    Validations.of(activation).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:SetActiveReceiptRuleSet supports no resource-level permissions; it is the only action this policy allows.',
    });
    this.acknowledgeProviderFindings();
    return activation;
  }
}
