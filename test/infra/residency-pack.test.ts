import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { CfnBackupPlan } from 'aws-cdk-lib/aws-backup';
import { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AttributeType, CfnGlobalTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnRule, Connection, ApiDestination, Authorization } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnKey } from 'aws-cdk-lib/aws-kms';
import { CfnSubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { CfnHostedZone } from 'aws-cdk-lib/aws-route53';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { CfnSubscription, Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { HOME_REGION } from '../../lib/config';
import { AnshinResidencyChecks, RESIDENCY_RULES } from '../../lib/residency-pack';
import { assemblyDir, relayApp } from './support';

/** Each rule of the project's own pack, shown failing on a stack that breaks it. */

function violationsOf(build: (scope: Construct) => void): string[] {
  const stack = new Stack(new App({ outdir: assemblyDir() }), 'Violating', { env: { region: HOME_REGION, account: '123456789012' } });
  build(stack);
  return new AnshinResidencyChecks().validateScope(stack).violations.map((violation) => violation.ruleName);
}

const VIOLATIONS: readonly [string, (scope: Construct) => void][] = [
  ['SubscriptionLeavesRegion', (scope) => new CfnSubscription(scope, 'Mail', { topicArn: new Topic(scope, 'T').topicArn, protocol: 'email', endpoint: 'ops@example.com' })],
  [
    'SubscriptionLeavesRegion',
    (scope) => new CfnSubscription(scope, 'Queue', { topicArn: new Topic(scope, 'T').topicArn, protocol: 'sqs', endpoint: 'arn:aws:sqs:us-east-1:123456789012:elsewhere' }),
  ],
  ['EventTargetLeavesRegion', (scope) => new CfnRule(scope, 'Rule', { eventPattern: { source: ['x'] }, targets: [{ id: 'bus', arn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }] })],
  [
    'EventTargetLeavesRegion',
    (scope) =>
      new ApiDestination(scope, 'Http', {
        endpoint: 'https://collector.example.com/events',
        connection: new Connection(scope, 'Connection', { authorization: Authorization.apiKey('x-api-key', { unsafeUnwrap: () => 'k' } as never) }),
      }),
  ],
  [
    'LogsLeaveRegion',
    (scope) => new CfnSubscriptionFilter(scope, 'Filter', { logGroupName: 'g', filterPattern: '', destinationArn: 'arn:aws:logs:eu-west-1:123456789012:destination:central' }),
  ],
  [
    'BackupCopiedElsewhere',
    (scope) =>
      new CfnBackupPlan(scope, 'Plan', {
        backupPlan: {
          backupPlanName: 'p',
          backupPlanRule: [{ ruleName: 'r', targetBackupVault: 'v', copyActions: [{ destinationBackupVaultArn: 'arn:aws:backup:ap-northeast-3:123456789012:backup-vault:osaka' }] }],
        },
      }),
  ],
  ['GlobalOrEdgeService', (scope) => new Distribution(scope, 'Cdn', { defaultBehavior: { origin: new HttpOrigin('menu.example.jp') } })],
  ['GlobalOrEdgeService', (scope) => new CfnHostedZone(scope, 'Zone', { name: 'example.jp' })],
  ['ReplicatedElsewhere', (scope) => new CfnBucket(scope, 'Bucket', { replicationConfiguration: { role: 'arn:aws:iam::123456789012:role/r', rules: [{ destination: { bucket: 'arn:aws:s3:::copy' }, status: 'Enabled' }] } })],
  ['ReplicatedElsewhere', (scope) => new CfnKey(scope, 'Key', { multiRegion: true, keyPolicy: {} })],
  [
    'ReplicatedElsewhere',
    (scope) =>
      new CfnGlobalTable(scope, 'Table', {
        attributeDefinitions: [{ attributeName: 'id', attributeType: AttributeType.STRING }],
        keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
        billingMode: 'PAY_PER_REQUEST',
        replicas: [{ region: HOME_REGION }, { region: 'us-east-1' }],
      }),
  ],
  ['CrossRegionReference', (scope) => new CfnResource(scope, 'Export', { type: 'Custom::CrossRegionExportWriter', properties: { ServiceToken: 'x' } })],
  [
    'GrantInAnotherRegion',
    (scope) =>
      new Role(scope, 'Sender', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
        new PolicyStatement({ actions: ['ses:SendEmail'], resources: ['arn:aws:ses:us-east-1:123456789012:identity/relay.example.jp'] }),
      ),
  ],
];

describe('the AnshinResidency rule pack', () => {
  it.each(VIOLATIONS)('flags AnshinResidency-%s', (suffix, build) => {
    expect(violationsOf(build)).toContain(`AnshinResidency-${suffix}`);
  });

  it('has a violating case for every rule', () => {
    expect(new Set(VIOLATIONS.map(([suffix]) => suffix))).toEqual(new Set(RESIDENCY_RULES.map((rule) => rule.suffix)));
  });

  it('finds nothing in home-region resources of the same kinds', () => {
    expect(
      violationsOf((scope) => {
        const topic = new Topic(scope, 'T');
        new CfnSubscription(scope, 'Queue', { topicArn: topic.topicArn, protocol: 'sqs', endpoint: 'arn:aws:sqs:ap-northeast-1:123456789012:relay' });
        new CfnKey(scope, 'Key', { keyPolicy: {} });
      }),
    ).toEqual([]);
  });

  it('finds nothing in the relay stack, and fails its synthesis when something breaks a rule', () => {
    const { stack } = relayApp();
    expect(new AnshinResidencyChecks().validateScope(stack).violations).toEqual([]);

    const { app, stack: broken } = relayApp();
    new CfnHostedZone(broken, 'Zone', { name: 'example.jp' });
    expect(() => app.synth()).toThrow(/AnshinResidency-GlobalOrEdgeService/);
  });
});
