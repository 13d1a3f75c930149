import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TextWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { ITopicSubscription } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRICS_NAMESPACE, SERVICES } from '../../lambdas/metric-names';
import type { AlarmsConfig } from '../config';
import { HOME_REGION } from '../config';
import { ALARM_THRESHOLDS } from '../secure-defaults';
import { createFailureQueue } from './encrypted-messaging';
import type { DataKeys } from './data-keys';

/** The README section every alarm's description points to. */
const RUNBOOK = 'README: Operations > Alarms';

export interface OperationsProps {
  readonly alarms: AlarmsConfig;
  readonly keys: DataKeys;
  /** How long any queue of the stack keeps a message (see `queueRetention`). */
  readonly queueRetention: Duration;
  /** Every function of the stack, by a short name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The relay queue, whose oldest message must not wait long. */
  readonly relayQueue: IQueue;
  /** Every dead-letter and failure queue, by a short name, and what to do when one holds a message. */
  readonly deadLetters: Readonly<Record<string, { readonly queue: IQueue; readonly action: string }>>;
}

const anshin = (name: string, service: string, statistic = 'Sum', period = Duration.minutes(5), dimensions: Record<string, string> = {}): Metric =>
  new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service, ...dimensions }, statistic, period });

/** Every value of a second dimension at once, by a CloudWatch search expression. */
const byDimension = (name: string, service: string, dimension: string, label: string): MathExpression =>
  new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dimension},service} MetricName="${name}" service="${service}"', 'Sum', 300)`,
    label,
    usingMetrics: {},
    period: Duration.minutes(5),
  });

const ses = (name: string): Metric => new Metric({ namespace: 'AWS/SES', metricName: name, statistic: 'Maximum', period: Duration.hours(1) });

/**
 * Operating the relay: an encrypted alarm topic (subscribers from the configuration, in-region
 * only), an alarm for everything that needs a person, each saying what to do, and one dashboard of
 * the flow from inbound mail to retention.
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  /** Alarm notifications no subscriber accepted. */
  readonly undelivered: Queue;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = stack.stackName;

    const topicName = `${prefix}-alarms`;
    // Named, so the key policy can name it without depending on the topic, which depends on the key.
    const topicArn = stack.formatArn({ service: 'sns', resource: topicName });
    this.topic = new Topic(this, 'AlarmTopic', { topicName, displayName: `${prefix} alarms`, masterKey: props.keys.dataKey, enforceSSL: true });
    // Enforcing TLS replaces SNS's default policy: CloudWatch alarms of this account must be allowed again.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    // Alarm texts name alarms and figures, never personal data; still, people are reached by e-mail
    // and machines only through queues and functions in the home region.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyOtherProtocols',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sns:Subscribe'],
        resources: [this.topic.topicArn],
        conditions: { StringNotEquals: { 'sns:Protocol': ['email', 'sqs', 'lambda'] } },
      }),
    );
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyEndpointsOutsideTheHomeRegion',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sns:Subscribe'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'sns:Protocol': ['sqs', 'lambda'] }, StringNotLike: { 'sns:Endpoint': [`arn:aws:sqs:${HOME_REGION}:*`, `arn:aws:lambda:${HOME_REGION}:*`] } },
      }),
    );
    props.keys.allowCloudWatchAlarms();
    // Notifications no subscriber took wait here for an operator, instead of being dropped.
    this.undelivered = createFailureQueue(this, 'Undelivered', { key: props.keys.dataKey, retentionPeriod: props.queueRetention, holds: 'alarm notifications no subscriber accepted' });
    props.keys.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSnsDeadLettersFromAlarmTopic',
        principals: [new ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': topicArn } },
      }),
    );
    const deadLetterQueue = this.undelivered;
    const subscriptions: [ITopicSubscription, boolean][] = [
      ...props.alarms.emails.map((email): [ITopicSubscription, boolean] => [new EmailSubscription(email, { deadLetterQueue }), false]),
      ...props.alarms.endpoints.map((arn, index): [ITopicSubscription, boolean] =>
        arn.startsWith('arn:aws:sqs:')
          ? [new SqsSubscription(Queue.fromQueueArn(this, `Subscriber${index}`, arn), { deadLetterQueue }), true]
          : [new LambdaSubscription(LambdaFunction.fromFunctionArn(this, `Subscriber${index}`, arn), { deadLetterQueue }), false],
      ),
    ];
    for (const [subscription, toQueue] of subscriptions) {
      const created = this.topic.addSubscription(subscription);
      if (!toQueue) {
        Validations.of(created).acknowledge({
          id: 'AnshinResidency-SubscriptionLeavesRegion',
          reason: 'Alarm notifications name an alarm, a metric and a threshold, never personal data; people are reached by e-mail, machines by functions in the home region (the configuration and the topic policy refuse others).',
        });
      }
    }

    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, metric: IMetric, options: { threshold: number; evaluationPeriods?: number; comparison?: ComparisonOperator; missing?: TreatMissingData; what: string; todo: string }): Alarm => {
      const created = new Alarm(this, alarmId, {
        alarmName: `${prefix}-${alarmId}`,
        alarmDescription: `${options.what}. To do: ${options.todo} (${RUNBOOK}).`,
        metric,
        threshold: options.threshold,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    const deadLetters = {
      ...props.deadLetters,
      alarms: { queue: this.undelivered, action: 'an alarm reached no subscriber: check the subscriptions of the alarm topic (an e-mail not confirmed, a queue or function gone), then read and delete the notifications' },
    };
    for (const [name, { queue, action: todo }] of Object.entries(deadLetters)) {
      alarm(`DeadLetters-${name}`, queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }), {
        threshold: 1,
        what: `A message is waiting in the ${name} dead-letter or failure queue`,
        todo,
      });
    }
    alarm('RelayQueueAge', props.relayQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) }), {
      threshold: ALARM_THRESHOLDS.relayQueueAgeSeconds,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      what: `The relay queue's oldest message has waited more than ${ALARM_THRESHOLDS.relayQueueAgeSeconds / 60} minutes`,
      todo: 'look at the relay function’s errors and throttles and at SES sending quota (`anshin status`); mail waits, nothing is lost until the queue’s retention',
    });
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`Errors-${name}`, fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }), {
        threshold: 1,
        what: `The ${name} function failed`,
        todo: `read its log group for the error name (logs hold no personal data); failed work is retried and then lands in its dead-letter or failure queue`,
      });
      alarm(`Throttles-${name}`, fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }), {
        threshold: 1,
        what: `The ${name} function was throttled`,
        todo: 'check the account’s Lambda concurrency and the function’s reserved concurrency; queued work is retried',
      });
    }
    alarm('SesBounceRate', ses('Reputation.BounceRate'), {
      threshold: ALARM_THRESHOLDS.sesBounceRate,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      what: `SES's bounce rate is above ${ALARM_THRESHOLDS.sesBounceRate * 100}% (SES reviews an account at 5%, pauses it at 10%)`,
      todo: 'find the stores with bounces (`anshin fraud signals`), pause the worst (`anshin store pause`), and check that hard-bounced aliases are paused',
    });
    alarm('SesComplaintRate', ses('Reputation.ComplaintRate'), {
      threshold: ALARM_THRESHOLDS.sesComplaintRate,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      what: `SES's complaint rate is above ${ALARM_THRESHOLDS.sesComplaintRate * 100}% (SES reviews an account at 0.1%, pauses it at 0.5%)`,
      todo: 'find the stores complained about (`anshin fraud signals`) and pause them (`anshin store pause`)',
    });
    alarm('RetentionIncomplete', anshin(METRIC.retentionComplete, SERVICES.retention, 'Maximum', Duration.days(1)), {
      threshold: 1,
      evaluationPeriods: 2,
      comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
      missing: TreatMissingData.BREACHING,
      what: 'No retention run has completed for two days (runs stopped halfway, or none ran)',
      todo: 'run `anshin retention run --target aws` and read its receipt; check the retention function’s errors and its failure queue',
    });
    alarm('DestructionFailed', anshin(METRIC.destructionFailed, SERVICES.destruction), {
      threshold: 1,
      what: 'A destruction request failed',
      todo: 'read the destruction failure queue for the request, fix the cause, and run it again with `anshin destroy`; the requester is owed a receipt',
    });
    alarm('StorePaused', anshin(METRIC.storesPaused, SERVICES.fraud), {
      threshold: 1,
      what: 'The abuse signals paused a store',
      todo: 'read `anshin fraud signals --day <yesterday>` for the figures, talk to the store, and lift the pause with `anshin store unpause` when it is safe',
    });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${prefix}-operations` });
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8): GraphWidget => new GraphWidget({ title, left, right, width, height: 6 });
    const relay = (name: string, statistic = 'Sum'): Metric => anshin(name, SERVICES.relay, statistic);
    const functions = Object.entries(props.functions);
    this.dashboard.addWidgets(new TextWidget({ markdown: `# ${prefix}: mail in, mail out, data kept no longer than promised\nAlarms: ${this.alarms.length}, to topic ${this.topic.topicName}. What to do for each: ${RUNBOOK}.`, width: 24, height: 2 }));
    this.dashboard.addWidgets(
      graph('Inbound and relayed', [props.relayQueue.metricNumberOfMessagesSent({ label: 'inbound (SES to the relay queue)' }), relay(METRIC.relayed), relay(METRIC.held), relay(METRIC.duplicate)]),
      graph('Refused, by reason', [byDimension(METRIC.refused, SERVICES.relay, DIMENSION.reason, 'refused')], [relay(METRIC.bounced)]),
      graph('Relay queue and dead letters', [props.relayQueue.metricApproximateNumberOfMessagesVisible(), ...Object.entries(deadLetters).map(([name, { queue }]) => queue.metricApproximateNumberOfMessagesVisible({ label: name }))], [props.relayQueue.metricApproximateAgeOfOldestMessage()]),
    );
    this.dashboard.addWidgets(
      graph('Errors per function', functions.map(([name, fn]) => fn.metricErrors({ label: name }))),
      graph('Throttles per function', functions.map(([name, fn]) => fn.metricThrottles({ label: name }))),
      graph('SES reputation', [ses('Reputation.BounceRate'), ses('Reputation.ComplaintRate')]),
    );
    this.dashboard.addWidgets(
      graph('Relay: latency and size', [relay(METRIC.handlerLatency, 'p50'), relay(METRIC.handlerLatency, 'p99')], [relay(METRIC.messageSize, 'Average'), relay(METRIC.awsCalls, 'Average')]),
      graph('Retention and destruction', [byDimension(METRIC.itemsRemoved, SERVICES.retention, DIMENSION.dataClass, 'removed'), anshin(METRIC.destructions, SERVICES.destruction)], [anshin(METRIC.retentionComplete, SERVICES.retention, 'Minimum', Duration.days(1)), anshin(METRIC.destructionFailed, SERVICES.destruction)]),
      graph('API, menu and logins', [byDimension(METRIC.requests, SERVICES.api, DIMENSION.result, 'API'), byDimension(METRIC.requests, SERVICES.menu, DIMENSION.result, 'menu')], [byDimension(METRIC.logins, SERVICES.menu, DIMENSION.result, 'logins')]),
    );
    this.dashboard.addWidgets(
      graph('Feedback, signals and analysis', [byDimension(METRIC.feedback, SERVICES.feedback, DIMENSION.kind, 'feedback'), anshin(METRIC.storesFlagged, SERVICES.fraud), anshin(METRIC.storesPaused, SERVICES.fraud)], [anshin(METRIC.rowsExported, SERVICES.analysis)], 24),
    );
  }
}
