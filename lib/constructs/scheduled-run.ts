import { ArnFormat, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { CronOptions } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { HOME_REGION } from '../config';
import { EVENT_DELIVERY_DEFAULTS } from '../secure-defaults';

/**
 * A function started on an EventBridge Scheduler schedule (Asia/Tokyo), with retries and a
 * failure queue for runs that could not be started. The role the scheduler assumes serves only
 * schedules of this account's default group; it may invoke the function and put undeliverable runs
 * into the encrypted failure queue, where SQS uses the queue's key on its behalf.
 */
export function scheduledRun(
  scope: Construct,
  props: {
    readonly target: IFunction;
    readonly what: string;
    readonly description: string;
    readonly cron: Omit<CronOptions, 'weekDay' | 'year'>;
    readonly input: Readonly<Record<string, unknown>>;
    readonly failures: Queue;
    readonly queueKey: IKey;
  },
): { readonly schedule: Schedule; readonly role: Role } {
  const stack = Stack.of(scope);
  const defaultGroupArn = stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const role = new Role(scope, 'ScheduleRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': defaultGroupArn } },
    }),
    description: `${props.what}: EventBridge Scheduler starts the run`,
  });
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.queueKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${HOME_REGION}.amazonaws.com` } },
    }),
  );
  const schedule = new Schedule(scope, 'Schedule', {
    description: props.description,
    schedule: ScheduleExpression.cron({ ...props.cron, timeZone: TimeZone.ASIA_TOKYO }),
    target: new LambdaInvoke(props.target, {
      role,
      input: ScheduleTargetInput.fromObject(props.input),
      deadLetterQueue: props.failures,
      retryAttempts: EVENT_DELIVERY_DEFAULTS.retryAttempts,
      maxEventAge: EVENT_DELIVERY_DEFAULTS.maxEventAge,
    }),
  });
  const functionLogicalId: unknown = stack.resolve((props.target.node.defaultChild as CfnFunction).logicalId);
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy !== undefined) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${String(functionLogicalId)}.Arn>:*]`,
      reason: `The Scheduler target grants invoke on the ${props.what} function and its qualifiers; the wildcard covers only versions and aliases of that one function.`,
    });
  }
  return { schedule, role };
}
