import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { CfnBackupPlan } from 'aws-cdk-lib/aws-backup';
import { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AttributeType, CfnGlobalTable, Table, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { CfnRule, Connection, ApiDestination, Authorization } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnKey, Key } from 'aws-cdk-lib/aws-kms';
import { CfnSubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { CfnHostedZone } from 'aws-cdk-lib/aws-route53';
import { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { CfnSubscription, Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { HOME_REGION, resolveConfig } from '../../lib/config';
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
  ['ReplicatedElsewhere', (scope) => new TableV2(scope, 'TableV2', { partitionKey: { name: 'id', type: AttributeType.STRING }, replicas: [{ region: 'us-west-2' }] })],
  ['ReplicatedElsewhere', (scope) => new Table(scope, 'Replicated', { partitionKey: { name: 'id', type: AttributeType.STRING }, replicationRegions: ['ap-northeast-3'] })],
  ['ReplicatedElsewhere', (scope) => new CfnResource(scope, 'Replica', { type: 'AWS::KMS::ReplicaKey', properties: { PrimaryKeyArn: 'arn', KeyPolicy: {} } })],
  ['ReplicatedElsewhere', (scope) => new CfnResource(scope, 'Mrap', { type: 'AWS::S3::MultiRegionAccessPoint', properties: { Regions: [{ Bucket: 'b' }] } })],
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
        new TableV2(scope, 'HomeOnly', { partitionKey: { name: 'id', type: AttributeType.STRING } });
        new Key(scope, 'RotatedKey', { enableKeyRotation: true });
        new Bucket(scope, 'Bucket');
      }),
    ).toEqual([]);
  });

  it('flags a global table whose region is known only at deploy time, which cannot be shown to stay home', () => {
    const stack = new Stack(new App({ outdir: assemblyDir() }), 'Agnostic');
    new TableV2(stack, 'Global', { partitionKey: { name: 'id', type: AttributeType.STRING } });
    expect(new AnshinResidencyChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).toContain('AnshinResidency-ReplicatedElsewhere');
  });

  it('finds nothing in the relay stack, and fails its synthesis when something breaks a rule', () => {
    const { stack } = relayApp();
    expect(new AnshinResidencyChecks().validateScope(stack).violations).toEqual([]);

    const { app, stack: broken } = relayApp();
    new CfnHostedZone(broken, 'Zone', { name: 'example.jp' });
    expect(() => app.synth()).toThrow(/AnshinResidency-GlobalOrEdgeService/);
  });

  it('goes with the stack into any app, not only the one `addRelayStack` builds', () => {
    const app = new App({ outdir: assemblyDir() });
    const stack = new AnshinRelayStack(app, 'Elsewhere', { config: resolveConfig({}), env: { region: HOME_REGION, account: '123456789012' } });
    new Key(stack, 'Extra', { multiRegion: true, enableKeyRotation: true });
    expect(() => app.synth()).toThrow(/AnshinResidency-ReplicatedElsewhere/);
  });
});
