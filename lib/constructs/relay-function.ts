import { fileURLToPath } from 'node:url';
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RELAY_ENV } from '../../lambdas/env';
import { ConfigError, HOME_REGION } from '../config';
import type { RelayConfig } from '../config';
import { EVENT_SOURCE_MAX_CONCURRENCY, QUEUE_DEFAULTS, RAW_MAIL_PREFIX, RELAY_FUNCTION_DEFAULTS } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import { customerAddressCondition, storeAddressCondition } from './data-keys';
import type { DataKeys } from './data-keys';
import type { DataTables, IndexOf } from './data-tables';
import type { MailIngress } from './mail-ingress';
import type { SendingFeedback } from './sending-feedback';

export interface RelayFunctionProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  readonly ingress: MailIngress;
  /** The configuration set every send goes through. */
  readonly sending: Pick<SendingFeedback, 'configurationSetName' | 'configurationSetArn'>;
  /**
   * Handler module exporting `handler`, an SQS batch handler returning partial batch failures.
   * @default lambdas/relay/handler.ts
   */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/relay/handler.ts', import.meta.url));

/**
 * The relay function and everything it may do. It reads the SES notifications from the relay queue,
 * the raw mail below `inbound/`, aliases and stores; decrypts real addresses and computes address
 * hashes; creates reverse aliases; records transmissions; sends through SES as the sender identity;
 * sends notifications that failed for good to the dead-letter queue.
 * It can neither encrypt with the data key nor delete anything: issuing aliases and destruction belong
 * to other functions.
 */
export class RelayFunction extends Construct {
  readonly function: NodejsFunction;
  readonly anshinFunction: AnshinFunction;

  constructor(scope: Construct, id: string, props: RelayFunctionProps) {
    super(scope, id);
    const { config, keys, tables, ingress } = props;
    const timeout = RELAY_FUNCTION_DEFAULTS.timeout;
    if (ingress.queueVisibilityTimeout.toSeconds() < timeout.toSeconds() * QUEUE_DEFAULTS.visibilityTimeoutFactor) {
      throw new ConfigError(
        `the relay queue's visibility timeout (${ingress.queueVisibilityTimeout.toSeconds()} s) must be at least ${QUEUE_DEFAULTS.visibilityTimeoutFactor} times the relay timeout (${timeout.toSeconds()} s)`,
      );
    }
    const { min, max } = EVENT_SOURCE_MAX_CONCURRENCY;
    if (config.relayMaxConcurrency < min || config.relayMaxConcurrency > max) {
      throw new ConfigError(`anshin.relayMaxConcurrency must be between ${min} and ${max} (SQS event source limit), got ${config.relayMaxConcurrency}`);
    }

    this.anshinFunction = new AnshinFunction(this, 'Relay', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'Relays mail between stores and customers through their aliases',
      serviceName: 'anshin-relay',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      // Measured for SES's 40 MB messages; the figures are beside the value.
      memorySize: RELAY_FUNCTION_DEFAULTS.memorySize,
      timeout,
    });
    this.function = this.anshinFunction.function;

    // Look-ups are by key, and a store's items are read as one partition (Query on the table); the
    // relay queries no index, so none is granted.
    this.anshinFunction
      .bindTable(RELAY_ENV.aliasesTable, tables.aliases, { actions: ['dynamodb:GetItem'] })
      // Reverse aliases (`m-…`) are the only items it creates; it cannot overwrite a customer alias.
      .writeOnlyUnder(tables.aliases, ['dynamodb:PutItem'], ['m-*'])
      .bindTable(RELAY_ENV.storesTable, tables.stores, { actions: ['dynamodb:GetItem', 'dynamodb:Query'] })
      .bindTable(RELAY_ENV.transmissionsTable, tables.transmissions, {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        // Replies name the IDs SES gave relayed copies; this index finds their originals.
        indexes: ['byOutboundMessage', 'byOriginalMessage'] satisfies IndexOf<'transmissions'>[],
      })
      // Decrypt covers the real addresses and, through DynamoDB, S3 and SQS, the stores encrypted
      // with the same key.
      .bindKey(RELAY_ENV.addressKeyId, keys.addressKey, ['kms:Decrypt'], customerAddressCondition())
      // The store's contact (replies) and senders (kept out of the rewritten header).
      .useKey(keys.addressKey, ['kms:Decrypt'], storeAddressCondition(['contact', 'sender']))
      .bindKey(RELAY_ENV.hmacKeyId, keys.hmacKey, ['kms:GenerateMac'])
      .setEnvironment(RELAY_ENV.relayDomain, config.relayDomain)
      .setEnvironment(RELAY_ENV.transmissionRetentionDays, String(config.retention.classes.transmission.retentionDays))
      .setEnvironment(RELAY_ENV.contentRetentionDays, String(config.retention.classes.content.retentionDays))
      .setEnvironment(RELAY_ENV.deadLetterQueueUrl, ingress.deadLetterQueue.queueUrl)
      .setEnvironment(RELAY_ENV.relayQueueUrl, ingress.queue.queueUrl)
      .setEnvironment(RELAY_ENV.configurationSet, props.sending.configurationSetName)
      .setEnvironment(RELAY_ENV.spamVerdictAction, config.spamVerdictAction)
      .setEnvironment(RELAY_ENV.bouncesPerSenderPerHour, String(config.bounces.maxPerSenderPerHour))
      .setEnvironment(RELAY_ENV.rateLimits, JSON.stringify(config.rateLimits));

    const role = this.anshinFunction.role;
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [ingress.bucket.arnForObjects(`${RAW_MAIL_PREFIX}*`)] }));
    // SES v2 SendEmail with raw content is authorised as ses:SendRawEmail on the identity (the
    // AccessDenied message names that action); ses:SendEmail is the documented action of the v2
    // operation. Both are limited to the sender identity in the home region, and to the relay's
    // configuration set: SES authorises a send with a configuration set against both ARNs.
    const senderIdentityArn = Stack.of(this).formatArn({
      service: 'ses',
      region: HOME_REGION,
      resource: 'identity',
      resourceName: config.senderIdentity,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [senderIdentityArn, props.sending.configurationSetArn] }),
    );

    // Permanent failures go to the dead-letter queue at once, with their reason. The queue is
    // encrypted with the data key, so SQS needs a data key on the relay's behalf (Decrypt is granted
    // above); only through SQS, never for the relay's own use. Backoff uses ChangeMessageVisibility
    // on the relay queue, which the event source below already grants. Mail held back by a rate
    // limit or a paused store goes back on the relay queue as a delayed copy of its notification.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [ingress.deadLetterQueue.queueArn, ingress.queue.queueArn] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [keys.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${HOME_REGION}.amazonaws.com` } },
      }),
    );

    this.function.addEventSource(
      new SqsEventSource(ingress.queue, {
        batchSize: RELAY_FUNCTION_DEFAULTS.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: config.relayMaxConcurrency,
      }),
    );

    this.acknowledgeFindings(ingress);
  }

  private acknowledgeFindings(ingress: MailIngress): void {
    const stack = Stack.of(this);
    const bucketLogicalId: unknown = stack.resolve((ingress.bucket.node.defaultChild as CfnBucket).logicalId);
    const policy = this.anshinFunction.role.node.tryFindChild('DefaultPolicy');
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${String(bucketLogicalId)}.Arn>/${RAW_MAIL_PREFIX}*]`,
        reason: 'Raw mail object keys are SES message IDs, unknown in advance; s3:GetObject is limited to the prefix SES writes to.',
      });
    }
    this.anshinFunction.acknowledgeQueueConsumerFindings('The relay', 'the relay queue');
  }
}
