import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config';
import { STACK_NAME } from '../../lib/relay-app';
import { ALARM_THRESHOLDS } from '../../lib/secure-defaults';
import { logicalId, onlyResource, relayApp, relayTemplate } from './support';

const synth = (() => {
  let cached: ReturnType<typeof relayTemplate> | undefined;
  return () => (cached ??= relayTemplate({ anshin: { alarms: { emails: ['oncall@operator.example'], endpoints: ['arn:aws:sqs:ap-northeast-1:123456789012:pager'] } } }));
})();

type Alarm = { Properties: Record<string, unknown> };

function alarms(): Map<string, Record<string, unknown>> {
  const { template } = synth();
  return new Map(Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Alarm>).map((alarm) => [String(alarm.Properties.AlarmName).replace(`${STACK_NAME}-`, ''), alarm.Properties]));
}

const topicRef = () => {
  const { stack } = synth();
  return { Ref: logicalId(stack, stack.operations.topic) };
};

describe('alarms', () => {
  it('cover every dead-letter and failure queue, the relay queue, every function, SES reputation, retention, destruction and pauses', () => {
    expect([...alarms().keys()].sort()).toEqual(
      [
        ...['relay', 'feedback', 'retention', 'destruction', 'fraud', 'analysis', 'alarms'].map((name) => `DeadLetters-${name}`),
        'RelayQueueAge',
        ...['relay', 'feedback', 'retention', 'destruction', 'api', 'menu', 'fraud', 'analysis'].flatMap((name) => [`Errors-${name}`, `Throttles-${name}`]),
        'SesBounceRate',
        'SesComplaintRate',
        'RetentionIncomplete',
        'DestructionFailed',
        'StorePaused',
      ].sort(),
    );
  });

  it('go to the alarm topic when they fire and when they clear, and each says what to do', () => {
    for (const [name, alarm] of alarms()) {
      expect(alarm.AlarmActions, name).toEqual([topicRef()]);
      expect(alarm.OKActions, name).toEqual([topicRef()]);
      expect(String(alarm.AlarmDescription), name).toMatch(/To do: .+ \(README: Operations > Alarms\)\.$/);
    }
  });

  it('trip at the documented thresholds', () => {
    const all = alarms();
    expect(all.get('DeadLetters-relay')).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' });
    expect(all.get('RelayQueueAge')).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900, ComparisonOperator: 'GreaterThanThreshold' });
    expect(all.get('Errors-relay')).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
    expect(all.get('SesBounceRate')).toMatchObject({ MetricName: 'Reputation.BounceRate', Namespace: 'AWS/SES', Threshold: ALARM_THRESHOLDS.sesBounceRate, ComparisonOperator: 'GreaterThanThreshold' });
    expect(all.get('SesComplaintRate')).toMatchObject({ MetricName: 'Reputation.ComplaintRate', Threshold: 0.001 });
    // Two days without a complete run, whether runs stopped halfway or none ran at all.
    expect(all.get('RetentionIncomplete')).toMatchObject({
      Namespace: 'Anshin',
      MetricName: 'RetentionRunComplete',
      Dimensions: [{ Name: 'service', Value: 'anshin-retention' }],
      Period: 86_400,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(all.get('DestructionFailed')).toMatchObject({ Namespace: 'Anshin', MetricName: 'DestructionsFailed', Threshold: 1 });
    expect(all.get('StorePaused')).toMatchObject({ Namespace: 'Anshin', MetricName: 'StoresPaused', Dimensions: [{ Name: 'service', Value: 'anshin-fraud' }] });
  });
});

describe('the alarm topic', () => {
  it('is encrypted, reaches the configured people and in-region endpoints, and refuses others', () => {
    const { stack, template } = synth();
    const topic = template.toJSON().Resources[logicalId(stack, stack.operations.topic)].Properties as Record<string, unknown>;
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] });
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => s.Properties as Record<string, unknown>).filter((s) => JSON.stringify(s.TopicArn) === JSON.stringify(topicRef()));
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint])).toEqual([
      ['email', 'oncall@operator.example'],
      ['sqs', 'arn:aws:sqs:ap-northeast-1:123456789012:pager'],
    ]);
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy')).find((p) => JSON.stringify(p.Properties.Topics).includes(JSON.stringify(topicRef())));
    const statements = policy?.Properties.PolicyDocument.Statement as { Sid?: string; Effect: string; Condition?: unknown; Principal?: unknown }[];
    expect(statements.find((s) => s.Sid === 'DenyOtherProtocols')?.Condition).toEqual({ StringNotEquals: { 'sns:Protocol': ['email', 'sqs', 'lambda'] } });
    expect(JSON.stringify(statements.find((s) => s.Sid === 'DenyEndpointsOutsideTheHomeRegion')?.Condition)).toContain('arn:aws:sqs:ap-northeast-1:*');
    expect(statements.find((s) => s.Sid === 'CloudWatchAlarmsOfThisAccount')).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } });
  });

  it.each([
    [{ emails: ['not an address'] }, /alarms\.emails\.0/],
    [{ endpoints: ['arn:aws:sqs:us-east-1:123456789012:pager'] }, /alarms\.endpoints\.0.*ap-northeast-1/],
    [{ endpoints: ['https://hooks.example.com/x'] }, /alarms\.endpoints\.0/],
    [{ pager: true }, /alarms/],
  ])('refuses a subscriber configuration that would reach outside (%j)', (alarmsGiven, message) => {
    expect(() => relayApp({ anshin: { alarms: alarmsGiven } })).toThrow(ConfigError);
    expect(() => relayApp({ anshin: { alarms: alarmsGiven } })).toThrow(message);
  });
});

describe('the dashboard', () => {
  it('shows the flow from inbound mail to retention, in one dashboard', () => {
    const { template } = synth();
    const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard').properties;
    expect(dashboard.DashboardName).toBe(`${STACK_NAME}-operations`);
    const body = JSON.stringify(dashboard.DashboardBody);
    for (const title of ['Inbound and relayed', 'Refused, by reason', 'Relay queue and dead letters', 'Errors per function', 'Throttles per function', 'SES reputation', 'Retention and destruction', 'API, menu and logins']) {
      expect(body).toContain(title);
    }
    expect(body).toContain('MetricName=\\\\\\"MessagesRefused\\\\\\"');
    expect(body).toContain('Reputation.BounceRate');
  });
});
