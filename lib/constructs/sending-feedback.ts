import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ConfigurationSet, ConfigurationSetTlsPolicy, EmailSendingEvent, EventDestination, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FEEDBACK_ENV } from '../../lambdas/env';
import type { RelayConfig } from '../config';
import { FUNCTION_DEFAULTS, QUEUE_DEFAULTS, onlyHomeQueueSubscriptions, queueRetention } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import type { DataKeys } from './data-keys';
import type { DataTables } from './data-tables';
import { allowSesThrough, subscribeQueue } from './encrypted-messaging';

export interface SendingFeedbackProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  /**
   * Handler module exporting `handler`, an SQS batch handler returning partial batch failures.
   * @default lambdas/feedback/handler.ts
   */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/feedback/handler.ts', import.meta.url));

/** Records per invocation; each fails on its own through partial batch responses. */
const FEEDBACK_BATCH_SIZE = 10;

/**
 * The SES configuration set the relay sends through, and what happens to its bounces and
 * complaints: SES publishes them to an encrypted topic, which feeds an encrypted queue (with a
 * dead-letter queue) read by the feedback function. The function pauses a customer alias whose
 * address hard-bounced and records every bounce and complaint; it may read and update aliases and
 * add records, nothing more.
 */
export class SendingFeedback extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** Name the relay sends with and IAM policies name the set by. */
  readonly configurationSetName: string;
  readonly configurationSetArn: string;
  readonly topic: Topic;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: SendingFeedbackProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    const stack = Stack.of(this);

    this.configurationSetName = `${stack.stackName}-sending`;
    this.configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSetName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      reputationMetrics: true,
      sendingEnabled: true,
      // An address that bounced hard or complained is not sent to again from this set, whichever
      // alias it sits behind; SES reports such a send as a permanent bounce, which pauses the alias.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      // Mail carries personal data: SES delivers it only over TLS, or not at all.
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
    });

    // Named, so the key policy can name the topic by ARN without depending on it (see subscribeQueue).
    const topicName = `${stack.stackName}-sending-feedback`;
    const topicArn = stack.formatArn({ service: 'sns', resource: topicName });
    this.topic = new Topic(this, 'Topic', {
      topicName,
      displayName: 'anshin-relay bounces and complaints',
      masterKey: keys.dataKey,
      enforceSSL: true,
    });
    allowSesThrough(keys.dataKey, 'sns');
    onlyHomeQueueSubscriptions(this.topic);
    // Bounces and complaints only: opens and clicks would have SES rewrite the body, which the relay
    // passes on byte for byte. The destination also allows SES to publish, for this set only.
    const destination = this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(this.topic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    // SES checks at creation that it can publish to the topic and use the key.
    destination.node.addDependency(this.topic, keys.dataKey);

    // Events name real addresses: kept no longer than raw mail, like the receipt notifications.
    const retentionPeriod = queueRetention(config.retention.classes.content.retentionDays);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: keys.dataKey,
      enforceSSL: true,
      retentionPeriod,
    });
    const deadLetterReason =
      'This is the dead-letter queue of the feedback queue and of its topic subscription; a dead-letter queue of its own would only move the same events again.';
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: deadLetterReason }, { id: 'Serverless-SQSRedrivePolicy', reason: deadLetterReason });

    const timeout = FUNCTION_DEFAULTS.timeout;
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: keys.dataKey,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * QUEUE_DEFAULTS.visibilityTimeoutFactor),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount },
    });
    subscribeQueue(this, 'QueueSubscription', {
      topic: this.topic,
      topicArn,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      key: keys.dataKey,
      keyPolicySid: 'AllowSnsDeliveryFromSendingFeedbackTopic',
    });

    this.anshinFunction = new AnshinFunction(this, 'Feedback', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'Pauses hard-bounced customer aliases and records bounces and complaints',
      serviceName: 'anshin-feedback',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      timeout,
    });
    this.function = this.anshinFunction.function;
    this.anshinFunction
      .bindTable(FEEDBACK_ENV.aliasesTable, tables.aliases, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] })
      .bindTable(FEEDBACK_ENV.transmissionsTable, tables.transmissions, { actions: ['dynamodb:PutItem'] })
      .setEnvironment(FEEDBACK_ENV.relayDomain, config.relayDomain)
      .setEnvironment(FEEDBACK_ENV.hardBouncePauseDays, String(config.feedback.hardBouncePauseDays))
      .setEnvironment(FEEDBACK_ENV.transmissionRetentionDays, String(config.retention.classes.transmission.retentionDays));
    // The queue and both tables are encrypted with the data key: SQS and DynamoDB decrypt for the
    // function; it never uses a key itself (and may not use the address key at all).
    this.anshinFunction.useKeyThrough(keys.dataKey, ['kms:Decrypt'], ['sqs', 'dynamodb']);

    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: FEEDBACK_BATCH_SIZE, reportBatchItemFailures: true }));
    this.anshinFunction.acknowledgeQueueConsumerFindings('The feedback function', 'the feedback queue');
  }
}
