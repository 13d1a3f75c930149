import { Lazy, Stack, Validations } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Subscription, SubscriptionProtocol } from 'aws-cdk-lib/aws-sns';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** AWS services SES reaches the data key through. */
export type SesKeyService = 's3' | 'sns';

const SES_KEY_SID = 'AllowSesThroughS3AndSns';
const sesKeyServices = new WeakMap<IKey, Set<SesKeyService>>();

/**
 * Lets SES use the key through the given service, for this account only: S3 and SNS use the key on
 * SES's behalf when SES writes raw mail to an SSE-KMS bucket or publishes to an encrypted topic
 * (GenerateDataKey to encrypt, Decrypt for multipart uploads and deliveries). Every caller shares
 * one key-policy statement, so two constructs publishing through SNS add the service once.
 */
export function allowSesThrough(key: IKey, service: SesKeyService): void {
  const known = sesKeyServices.get(key);
  if (known) {
    known.add(service);
    return;
  }
  const services = new Set<SesKeyService>([service]);
  sesKeyServices.set(key, services);
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: SES_KEY_SID,
      principals: [new ServicePrincipal('ses.amazonaws.com')],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'kms:ViaService': Lazy.list({ produce: () => [...services].sort().map((name) => `${name}.${stack.region}.amazonaws.com`) }),
        },
      },
    }),
  );
}

export interface QueueSubscriptionProps {
  readonly topic: ITopic;
  /**
   * The topic's ARN written without a reference to the topic, so the key policy can name it: a
   * reference would make the key depend on the topic the key encrypts.
   */
  readonly topicArn: string;
  readonly queue: IQueue;
  /** Where SNS puts deliveries it cannot make. */
  readonly deadLetterQueue: IQueue;
  /** Key the queue is encrypted with. */
  readonly key: IKey;
  /** Sid of the key-policy statement that lets SNS encrypt for this topic. */
  readonly keyPolicySid: string;
}

/**
 * Subscribes an encrypted queue to an encrypted topic with raw delivery (the queue body is the
 * publisher's JSON itself): the queue accepts SNS messages from that topic only, SNS may use the
 * key only on that topic's behalf, and deliveries SNS cannot make go to the dead-letter queue.
 */
export function subscribeQueue(scope: Construct, id: string, props: QueueSubscriptionProps): Subscription {
  const sns = new ServicePrincipal('sns.amazonaws.com');
  const fromTopic = { ArnEquals: { 'aws:SourceArn': props.topicArn } };
  const queuePolicy = props.queue.addToResourcePolicy(
    new PolicyStatement({ principals: [sns], actions: ['sqs:SendMessage'], resources: [props.queue.queueArn], conditions: fromTopic }),
  );
  // SQS encrypts what SNS sends with the key, on SNS's behalf.
  props.key.addToResourcePolicy(
    new PolicyStatement({ sid: props.keyPolicySid, principals: [sns], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'], conditions: fromTopic }),
  );
  const subscription = new Subscription(scope, id, {
    topic: props.topic,
    protocol: SubscriptionProtocol.SQS,
    endpoint: props.queue.queueArn,
    rawMessageDelivery: true,
    deadLetterQueue: props.deadLetterQueue,
  });
  if (queuePolicy.policyDependable !== undefined) subscription.node.addDependency(queuePolicy.policyDependable);
  return subscription;
}

export interface FailureQueueProps {
  /** Key the queue is encrypted with. */
  readonly key: IKey;
  /** How long a failed request is kept (see `queueRetention`). */
  readonly retentionPeriod: Duration;
  /** What lands in the queue, for the acknowledgement's reason, e.g. "failed retention runs". */
  readonly holds: string;
}

/**
 * An encrypted, TLS-only queue where requests nothing will retry any more end up (a dead-letter
 * queue and failure destination), for an operator to inspect. It has no dead-letter queue of its
 * own: nothing consumes it automatically, so nothing could fail there.
 */
export function createFailureQueue(scope: Construct, id: string, props: FailureQueueProps): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: props.retentionPeriod,
  });
  const reason = `This queue holds ${props.holds} for an operator; nothing consumes it automatically, so a dead-letter queue of its own would never receive anything.`;
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason }, { id: 'Serverless-SQSRedrivePolicy', reason });
  return queue;
}
