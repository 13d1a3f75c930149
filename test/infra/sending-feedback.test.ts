import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FEEDBACK_ENV } from '../../lambdas/env';
import { RELAY_ENV } from '../../lambdas/env';
import { ConfigError, DEFAULT_CONFIG } from '../../lib/config';
import { STACK_NAME } from '../../lib/relay-app';
import { actionsOf, CDK_JSON_CONFIG, logicalId, onlyResource, relayApp, relayTemplate, statementsOfRole } from './support';

const CONFIGURATION_SET_ARN = { 'Fn::Join': ['', ['arn:aws:ses:ap-northeast-1:', { Ref: 'AWS::AccountId' }, `:configuration-set/${STACK_NAME}-sending`]] };

function environmentOf(template: ReturnType<typeof relayTemplate>['template'], functionId: string): Record<string, unknown> {
  return (template.toJSON().Resources[functionId].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('feedback configuration', () => {
  it('defaults to a seven-day pause in lib/config.ts and cdk.json alike', () => {
    expect(DEFAULT_CONFIG.feedback.hardBouncePauseDays).toBe(7);
    expect(CDK_JSON_CONFIG.feedback).toEqual(DEFAULT_CONFIG.feedback);
  });

  it.each([0, -1, 2.5, '7'])('fails synthesis with the field name when hardBouncePauseDays is %j', (value) => {
    expect(() => relayApp({ anshin: { feedback: { hardBouncePauseDays: value } } })).toThrow(ConfigError);
    expect(() => relayApp({ anshin: { feedback: { hardBouncePauseDays: value } } })).toThrow(/anshin\.feedback\.hardBouncePauseDays/);
  });
});

describe('SendingFeedback configuration set', () => {
  it('sends with reputation metrics and the account suppression list for bounces and complaints', () => {
    const { template } = relayTemplate();

    expect(onlyResource(template, 'AWS::SES::ConfigurationSet').properties).toEqual({
      Name: `${STACK_NAME}-sending`,
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      // Outbound mail carries personal data: SES delivers it over TLS or not at all.
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    });
  });

  it('publishes bounces and complaints, and nothing else, to the feedback topic', () => {
    const { stack, template } = relayTemplate();

    const destination = onlyResource(template, 'AWS::SES::ConfigurationSetEventDestination').properties;

    expect(destination).toEqual({
      ConfigurationSetName: { Ref: logicalId(stack, stack.sending.configurationSet) },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        SnsDestination: { TopicARN: { Ref: logicalId(stack, stack.sending.topic) } },
      },
    });
  });

  it('lets SES publish to the topic only for this configuration set and account', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(stack, stack.sending.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'AWS:SourceAccount': Match.anyValue(), 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('SendingFeedback topic and queues', () => {
  it('encrypts the topic and both queues with the data key', () => {
    const { stack, template } = relayTemplate();
    const keyArn = { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] };
    const resources = template.toJSON().Resources;

    expect(resources[logicalId(stack, stack.sending.topic)].Properties.KmsMasterKeyId).toEqual(keyArn);
    for (const queue of [stack.sending.queue, stack.sending.deadLetterQueue]) {
      expect(resources[logicalId(stack, queue)].Properties.KmsMasterKeyId).toEqual(keyArn);
    }
  });

  it('lets SES use the data key through SNS with a single shared statement', () => {
    const { stack, template } = relayTemplate();

    const statements = template.toJSON().Resources[logicalId(stack, stack.keys.dataKey)].Properties.KeyPolicy.Statement as { Principal?: { Service?: string }; Condition?: unknown }[];
    const ses = statements.filter((statement) => statement.Principal?.Service === 'ses.amazonaws.com');

    expect(ses).toHaveLength(1);
    expect(ses[0]?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'kms:ViaService': ['s3.ap-northeast-1.amazonaws.com', 'sns.ap-northeast-1.amazonaws.com'] },
    });
  });

  it('lets SNS encrypt with the data key only for deliveries from the feedback topic', () => {
    const { template } = relayTemplate();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowSnsDeliveryFromSendingFeedbackTopic',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:aws:sns:ap-northeast-1:', { Ref: 'AWS::AccountId' }, `:${STACK_NAME}-sending-feedback`]] } } },
          }),
        ]),
      },
    });
  });

  it('delivers raw events to the queue, with undeliverable ones and failed ones in the dead-letter queue', () => {
    const { stack, template } = relayTemplate();
    const dlqArn = { 'Fn::GetAtt': [logicalId(stack, stack.sending.deadLetterQueue), 'Arn'] };

    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: logicalId(stack, stack.sending.topic) },
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [logicalId(stack, stack.sending.queue), 'Arn'] },
      RawMessageDelivery: true,
      RedrivePolicy: { deadLetterTargetArn: dlqArn },
    });
    expect(template.toJSON().Resources[logicalId(stack, stack.sending.queue)].Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 });
  });
});

describe('SendingFeedback function', () => {
  it('reads the feedback queue with partial batch failures', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, stack.sending.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.sending.queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gets the pause period and retention from the configuration', () => {
    const { stack, template } = relayTemplate({ anshin: { feedback: { hardBouncePauseDays: 3 }, relayDomain: 'relay.shop.example.jp', retention: { classes: { transmission: { retentionDays: 45 } } } } });

    const variables = environmentOf(template, logicalId(stack, stack.sending.function));

    expect(variables).toMatchObject({
      [FEEDBACK_ENV.hardBouncePauseDays]: '3',
      [FEEDBACK_ENV.transmissionRetentionDays]: '45',
      [FEEDBACK_ENV.relayDomain]: 'relay.shop.example.jp',
      [FEEDBACK_ENV.aliasesTable]: { Ref: logicalId(stack, stack.tables.aliases) },
      [FEEDBACK_ENV.transmissionsTable]: { Ref: logicalId(stack, stack.tables.transmissions) },
    });
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.values(FEEDBACK_ENV)));
  });

  it('may read and update aliases and add records: no delete, no wildcard, decrypt only', () => {
    const { stack, template } = relayTemplate();
    const statements = statementsOfRole(template, logicalId(stack, stack.sending.anshinFunction.role));
    const on = (id: string) =>
      actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))).sort();

    expect(on(logicalId(stack, stack.tables.aliases))).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(on(logicalId(stack, stack.tables.transmissions))).toEqual(['dynamodb:PutItem']);
    expect(on(logicalId(stack, stack.tables.stores))).toEqual([]);
    // Decrypt of the data key (the queue's and the tables'), which the key's policy admits only
    // through SQS and DynamoDB; nothing on the address or HMAC keys.
    expect([...new Set(on(logicalId(stack, stack.keys.dataKey)))]).toEqual(['kms:Decrypt']);
    expect(on(logicalId(stack, stack.keys.addressKey))).toEqual([]);
    expect(on(logicalId(stack, stack.keys.hmacKey))).toEqual([]);
    const actions = actionsOf(statements);
    expect(actions.filter((action) => /^dynamodb:(DeleteItem|BatchWriteItem)|^kms:(Encrypt|GenerateDataKey)|^ses:|^s3:/.test(action))).toEqual([]);
    expect(on(logicalId(stack, stack.sending.queue))).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    const wildcards = statements.filter((statement) => statement.Resource === '*');
    expect(actionsOf(wildcards).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});

describe('relay and the configuration set', () => {
  it('names the configuration set in the relay environment and in an output', () => {
    const { stack, template } = relayTemplate();

    expect(environmentOf(template, logicalId(stack, stack.relay.function))[RELAY_ENV.configurationSet]).toBe(`${STACK_NAME}-sending`);
    template.hasOutput('ConfigurationSetName', { Value: `${STACK_NAME}-sending` });
  });

  it('may send through the configuration set, with the same actions as on the identity', () => {
    const { stack, template } = relayTemplate();
    const statements = statementsOfRole(template, logicalId(stack, stack.relay.anshinFunction.role));

    const onSet = statements.filter((statement) => JSON.stringify(statement.Resource).includes(JSON.stringify(CONFIGURATION_SET_ARN)));

    expect(actionsOf(onSet).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
  });
});
